import { describe, expect, it } from 'vitest';
import { ndjsonLines } from '../bulk/ndjson-lines.js';
import { parseRetryAfter } from './fhir-http-client.js';
import { deletionsIn } from './history-deletions.js';
import { advance, START_CURSOR, unseen } from './search-cursor.js';

const at = (id: string, lastUpdated: string, versionId = '1') => ({ resourceType: 'Patient', id, meta: { versionId, lastUpdated } });
const T1 = '2024-01-01T00:00:00.001Z';
const T2 = '2024-01-01T00:00:00.002Z';

describe('search cursor', () => {
  it('moves to the newest instant and remembers what it took there', () => {
    const cursor = advance(START_CURSOR, [at('a', T1), at('b', T2), at('c', T2)]);
    expect(cursor).toEqual({ since: T2, seen: ['b|1', 'c|1'] });
    // `ge` brings b and c again with d; only d is new. A new version of b is new too.
    expect(unseen(cursor, [at('b', T2), at('c', T2), at('d', T2), at('b', '2024-01-01T00:00:00.002+00:00', '2')]).map((r) => `${r.id}|${r.meta?.versionId}`)).toEqual(['d|1', 'b|2']);
    expect(advance(cursor, [at('d', T2)])).toEqual({ since: T2, seen: ['b|1', 'c|1', 'd|1'] });
  });

  it('compares instants, not strings, and ignores resources without lastUpdated', () => {
    const cursor = advance(START_CURSOR, [at('a', '2024-01-01T01:00:00+01:00')]);
    expect(unseen(cursor, [at('a', '2024-01-01T00:00:00Z')])).toEqual([]);
    expect(advance(cursor, [{ resourceType: 'Patient', id: 'x', meta: {} }])).toEqual(cursor);
  });
});

describe('history deletions', () => {
  const entry = (method: string, id: string, lastModified: string) => ({
    request: { method, url: method === 'POST' ? 'Patient' : `Patient/${id}` },
    response: { lastModified },
    ...(method === 'DELETE' ? {} : { resource: { resourceType: 'Patient', id } }),
  });

  it('takes the newest entry per id, with list order breaking timestamp ties', () => {
    const window = deletionsIn('Patient', [
      entry('PUT', 'a', T2),
      entry('DELETE', 'a', T1),
      entry('DELETE', 'b', T2),
      entry('POST', 'b', T1),
      entry('PUT', 'c', T1),
      entry('DELETE', 'c', T1),
    ]);
    expect(window).toEqual({ deleted: ['b'], newest: T2 });
  });
});

describe('Retry-After and NDJSON streaming', () => {
  it('reads delay-seconds and HTTP-dates', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:05 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(5000);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });

  it('splits lines across chunk and multi-byte boundaries', async () => {
    const bytes = Buffer.from('{"a":"é"}\r\n\n{"b":2}');
    const chunks = [bytes.subarray(0, 7), bytes.subarray(7, 12), bytes.subarray(12)];
    const body = new ReadableStream<Uint8Array>({ start: (c) => { chunks.forEach((chunk) => c.enqueue(chunk)); c.close(); } });
    const lines = [];
    for await (const line of ndjsonLines(body)) lines.push(line);
    expect(lines).toEqual([{ line: 0, text: '{"a":"é"}' }, { line: 1, text: '' }, { line: 2, text: '{"b":2}' }]);
  });
});
