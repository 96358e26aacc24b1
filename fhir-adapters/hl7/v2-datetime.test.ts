import { describe, expect, it } from 'vitest';
import { formatFhirDate, formatFhirDateTime, formatFhirInstant, parseV2DateTime, zoneOffsetResolver } from './v2-datetime.js';

const utc = zoneOffsetResolver('UTC');
const berlin = zoneOffsetResolver('Europe/Berlin');
const dt = (raw: string, zone = utc) => formatFhirDateTime(parseV2DateTime(raw)!, zone);

describe('v2 DTM -> FHIR', () => {
  it('keeps the precision the sender gave', () => {
    expect(dt('2024')).toBe('2024');
    expect(dt('202403')).toBe('2024-03');
    expect(dt('20240315')).toBe('2024-03-15');
    expect(dt('2024031514')).toBe('2024-03-15T14:00:00+00:00');
    expect(dt('202403151430')).toBe('2024-03-15T14:30:00+00:00');
    expect(dt('20240315143005.1234')).toBe('2024-03-15T14:30:05.1234+00:00');
  });

  it('keeps an explicit offset as written and ignores it for dates', () => {
    expect(dt('20240315143000+0530', berlin)).toBe('2024-03-15T14:30:00+05:30');
    expect(dt('20240315143000-0000')).toBe('2024-03-15T14:30:00-00:00');
    expect(dt('20240315+0100')).toBe('2024-03-15');
    expect(formatFhirDate(parseV2DateTime('19800229123000+0100')!)).toBe('1980-02-29');
  });

  it('reads an offset-less time in the sender zone, daylight saving included', () => {
    expect(dt('20240115120000', berlin)).toBe('2024-01-15T12:00:00+01:00');
    expect(dt('20240715120000', berlin)).toBe('2024-07-15T12:00:00+02:00');
    expect(dt('20240331013000', berlin)).toBe('2024-03-31T01:30:00+01:00');
    expect(dt('20240331033000', berlin)).toBe('2024-03-31T03:30:00+02:00');
    expect(dt('20240715120000', zoneOffsetResolver('Asia/Kolkata'))).toBe('2024-07-15T12:00:00+05:30');
  });

  it('gives an instant only when there is a time', () => {
    expect(formatFhirInstant(parseV2DateTime('20240315')!, utc)).toBeUndefined();
    expect(formatFhirInstant(parseV2DateTime('202403151430')!, utc)).toBe('2024-03-15T14:30:00+00:00');
  });

  it('rejects values that are not dates', () => {
    for (const bad of ['', '24', '2024-03-15', '20241301', '20230229', '20240315246000', '20240315120000+1500', '0000', '20240315 1200', 'abc']) {
      expect(parseV2DateTime(bad), bad).toBeUndefined();
    }
  });

  it('refuses an unknown time zone at configuration time', () => {
    expect(() => zoneOffsetResolver('Mars/Olympus_Mons')).toThrow(RangeError);
  });
});
