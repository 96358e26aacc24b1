// v2 DTM / DT -> FHIR date, dateTime and instant. The precision the sender gave is kept (a year
// stays a year); an offset the sender gave is kept as written. FHIR requires an offset on any
// value with a time, so a v2 time without one is read in the sender's time zone (v2.5.1 2A.22:
// "the time zone defaults to that of the local time zone of the sender"), which is configured
// as an IANA zone so daylight saving time is applied for the date in question.

const DTM = /^(\d{4})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:\.(\d{1,4}))?)?)?)?)?)?([+-]\d{4})?$/;

export interface V2DateTime {
  year: number;
  month?: number;
  day?: number;
  hour?: number;
  minute?: number;
  second?: number;
  /** Fraction of a second as written (1-4 digits). */
  fraction?: string;
  /** "+hh:mm" when the value carried an offset. */
  offset?: string;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Parses a v2 DTM/DT/TS value; undefined when it is not one (the caller knows the field). */
export function parseV2DateTime(raw: string): V2DateTime | undefined {
  const m = DTM.exec(raw.trim());
  if (!m) return undefined;
  const num = (s: string | undefined): number | undefined => (s === undefined ? undefined : Number(s));
  const value: V2DateTime = {
    year: Number(m[1]),
    month: num(m[2]),
    day: num(m[3]),
    hour: num(m[4]),
    minute: num(m[5]),
    second: num(m[6]),
    fraction: m[7],
  };
  if (value.year < 1) return undefined;
  if (value.month !== undefined && (value.month < 1 || value.month > 12)) return undefined;
  if (value.day !== undefined && (value.day < 1 || value.day > daysInMonth(value.year, value.month!))) return undefined;
  if (value.hour !== undefined && value.hour > 23) return undefined;
  if (value.minute !== undefined && value.minute > 59) return undefined;
  if (value.second !== undefined && value.second > 59) return undefined;
  if (m[8]) {
    const hours = Number(m[8].slice(1, 3));
    const minutes = Number(m[8].slice(3, 5));
    if (hours > 14 || minutes > 59 || (hours === 14 && minutes > 0)) return undefined;
    value.offset = `${m[8][0]}${m[8].slice(1, 3)}:${m[8].slice(3, 5)}`;
  }
  return value;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** FHIR `date`: YYYY, YYYY-MM or YYYY-MM-DD; a time and offset, if any, are dropped. */
export function formatFhirDate(value: V2DateTime): string {
  let out = pad(value.year, 4);
  if (value.month !== undefined) out += `-${pad(value.month)}`;
  if (value.day !== undefined) out += `-${pad(value.day)}`;
  return out;
}

/** Offset ("+hh:mm") of `timeZone` at the given local wall-clock time. */
export type ZoneOffsetResolver = (local: Required<Pick<V2DateTime, 'year' | 'month' | 'day' | 'hour' | 'minute' | 'second'>>) => string;

function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

export function zoneOffsetResolver(timeZone: string): ZoneOffsetResolver {
  if (timeZone === 'UTC' || timeZone === 'Etc/UTC') return () => '+00:00';
  // Throws RangeError for an unknown zone, which is what configuration validation wants.
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
  const offsetAt = (utcMs: number): number => {
    const parts = Object.fromEntries(format.formatToParts(new Date(utcMs)).map((p) => [p.type, p.value]));
    const wall = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
    return Math.round((wall - utcMs) / 60_000);
  };
  return (local) => {
    const wall = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second);
    // Two passes find the offset in force at that wall time; in the DST gap or overlap this
    // settles on one of the two candidates, deterministically.
    const first = offsetAt(wall);
    const second = offsetAt(wall - first * 60_000);
    return formatOffset(second);
  };
}

/** FHIR `dateTime`. Date-only precision stays a date; any time gets seconds and an offset. */
export function formatFhirDateTime(value: V2DateTime, zoneOffset: ZoneOffsetResolver): string {
  if (value.hour === undefined) return formatFhirDate(value);
  const minute = value.minute ?? 0;
  const second = value.second ?? 0;
  const offset =
    value.offset ??
    zoneOffset({ year: value.year, month: value.month!, day: value.day!, hour: value.hour, minute, second });
  const fraction = value.fraction ? `.${value.fraction}` : '';
  return `${formatFhirDate(value)}T${pad(value.hour)}:${pad(minute)}:${pad(second)}${fraction}${offset}`;
}

/** FHIR `instant` (needs a time); undefined for date-only values. */
export function formatFhirInstant(value: V2DateTime, zoneOffset: ZoneOffsetResolver): string | undefined {
  return value.hour === undefined ? undefined : formatFhirDateTime(value, zoneOffset);
}
