// Issue 12, findings 1, 2 and 13 (repeated search parameters): one request from a client with
// ordinary scopes must not take the node down or make it build an unbounded response. Each case
// is the attack as reported, against a real node (embedded chain, SQLite, R4 validation workers).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNode, type TestNode } from './support/test-node.js';

const BATCH_MAX_RESOURCES = 30;
const BATCH_MAX_ENTRIES = 200;

/** `{"a":{"a":...}}` nested `levels` deep inside a resource's extension: 30 KB for 5,000 levels. */
function nested(levels: number): string {
  return `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
}

function deepObservation(levels: number): string {
  return `{"resourceType":"Observation","status":"final","code":{"text":"x"},"extension":[${nested(levels)}]}`;
}

interface Outcome {
  resourceType: string;
  issue: Array<{ code: string; details?: { text?: string } }>;
}

describe('request bounds (issue 12: deep JSON, batch reads, repeated parameters)', () => {
  let node: TestNode;
  const send = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: string, contentType = 'application/fhir+json') =>
    node.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${node.token}`, ...(payload === undefined ? {} : { 'content-type': contentType }) },
      ...(payload === undefined ? {} : { payload }),
    });

  beforeAll(async () => {
    node = await startTestNode({
      FHIR_BATCH_MAX_RESOURCES: String(BATCH_MAX_RESOURCES),
      FHIR_BUNDLE_MAX_ENTRIES: String(BATCH_MAX_ENTRIES),
    });
    const entry = Array.from({ length: 40 }, (_, i) => ({
      resource: { resourceType: 'Observation', id: `obs-${i}`, status: 'final', code: { text: 'heart rate' }, valueQuantity: { value: 60 + i } },
      request: { method: 'PUT', url: `Observation/obs-${i}` },
    }));
    const seeded = await send('POST', '/fhir', JSON.stringify({ resourceType: 'Bundle', type: 'batch', entry }));
    expect(seeded.statusCode).toBe(200);
  }, 60_000);
  afterAll(async () => node?.dispose());

  describe('finding 1: JSON nested 5,000 levels deep', () => {
    const body = deepObservation(5000);

    it('is refused with 400 on the R4 base, and the node keeps serving', async () => {
      expect(body.length).toBeLessThan(31_000);
      const response = await send('POST', '/fhir/R4/Observation', body);
      expect(response.statusCode).toBe(400);
      const outcome = response.json() as Outcome;
      expect(outcome.resourceType).toBe('OperationOutcome');
      expect(outcome.issue[0]!.details?.text).toMatch(/deeper than 100 levels/);
      expect((await send('GET', '/fhir/Observation/obs-1')).statusCode).toBe(200);
    });

    it('is refused with the same 400 on the R5 base', async () => {
      const response = await send('POST', '/fhir/Observation', body);
      expect(response.statusCode).toBe(400);
      expect((response.json() as Outcome).issue[0]!.details?.text).toMatch(/deeper than 100 levels/);
    });

    it('is refused inside a batch Bundle entry and a transaction entry', async () => {
      for (const type of ['batch', 'transaction']) {
        const bundle = `{"resourceType":"Bundle","type":"${type}","entry":[{"request":{"method":"POST","url":"Observation"},"resource":${body}}]}`;
        for (const base of ['/fhir', '/fhir/R4']) {
          const response = await send('POST', base, bundle);
          expect(response.statusCode, `${type} at ${base}`).toBe(400);
        }
      }
    });

    it('is refused as an application/json body on a non-FHIR route (consent)', async () => {
      const response = await send('POST', '/consent/patients/obs-1/consents', `{"purpose":${nested(5000)}}`, 'application/json');
      expect(response.statusCode).toBe(400);
      expect(response.body).toMatch(/deeper than 100 levels/);
    });

    it('is refused as a $verify-anchor Parameters body', async () => {
      const parameters = `{"resourceType":"Parameters","parameter":[{"name":"resource","resource":${body}},{"name":"receipt","valueString":"{}"}]}`;
      const response = await send('POST', '/fhir/$verify-anchor', parameters);
      expect(response.statusCode).toBe(400);
    });

    it('answers a $verify-anchor receipt string nested 5,000 levels deep without failing the node', async () => {
      const receipt = JSON.stringify(nested(5000));
      const parameters = `{"resourceType":"Parameters","parameter":[{"name":"resource","resource":{"resourceType":"Observation","status":"final","code":{"text":"x"}}},{"name":"receipt","valueString":${receipt}}]}`;
      const response = await send('POST', '/fhir/$verify-anchor', parameters);
      expect(response.statusCode).toBeLessThan(500);
      expect((await send('GET', '/fhir/Observation/obs-1')).statusCode).toBe(200);
    });

    it('still takes a resource nested within the limit', async () => {
      const response = await send('POST', '/fhir/R4/Observation', `{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]}}`);
      expect(response.statusCode).toBe(201);
    });
  });

  describe('finding 2: batch reads are bounded', () => {
    it('answers a batch of 100 GET entries with _count=1000 within the resource budget, the rest too-costly', async () => {
      const entry = Array.from({ length: 100 }, () => ({ request: { method: 'GET', url: 'Observation?_count=1000' } }));
      const response = await send('POST', '/fhir', JSON.stringify({ resourceType: 'Bundle', type: 'batch', entry }));
      expect(response.statusCode).toBe(200);
      const bundle = response.json() as {
        entry: Array<{ resource?: { resourceType: string; entry?: unknown[]; link?: Array<{ relation: string }> }; response: { status: string; outcome?: Outcome } }>;
      };
      expect(bundle.entry).toHaveLength(100);
      const returned = bundle.entry.reduce((sum, e) => sum + (e.resource?.resourceType === 'Bundle' ? (e.resource.entry?.length ?? 0) : 0), 0);
      expect(returned).toBeLessThanOrEqual(BATCH_MAX_RESOURCES);
      // The first search gets the whole budget: a smaller page than asked, as FHIR allows, with a
      // next link to page on. The others find the budget spent.
      expect(bundle.entry[0]!.response.status).toMatch(/^200/);
      expect(bundle.entry[0]!.resource?.entry).toHaveLength(BATCH_MAX_RESOURCES);
      expect(bundle.entry[0]!.resource?.link?.some((link) => link.relation === 'next')).toBe(true);
      const refused = bundle.entry.slice(1);
      for (const e of refused) {
        expect(e.response.status).toMatch(/^413/);
        expect(e.response.outcome?.issue[0]?.code).toBe('too-costly');
      }
    });

    it('refuses a Bundle with more entries than the limit with 413 and stores nothing', async () => {
      const entry = Array.from({ length: BATCH_MAX_ENTRIES + 1 }, (_, i) => ({
        resource: { resourceType: 'Observation', id: `over-${i}`, status: 'final', code: { text: 'x' } },
        request: { method: 'PUT', url: `Observation/over-${i}` },
      }));
      const response = await send('POST', '/fhir', JSON.stringify({ resourceType: 'Bundle', type: 'batch', entry }));
      expect(response.statusCode).toBe(413);
      expect((response.json() as Outcome).issue[0]!.code).toBe('too-costly');
      expect((await send('GET', '/fhir/Observation/over-0')).statusCode).toBe(404);
    });

    it('clamps a search _count above the maximum and pages instead', async () => {
      const response = await send('GET', '/fhir/Observation?_count=1000000');
      expect(response.statusCode).toBe(200);
      const link = (response.json() as { link: Array<{ relation: string; url: string }> }).link.find((l) => l.relation === 'self')!;
      expect(new URL(link.url).searchParams.get('_count')).toBe('1000');
    });
  });

  describe('finding 13: many search parameters', () => {
    it('answers 400, not 500, to 1,000 repeated search parameters', async () => {
      const query = Array.from({ length: 1000 }, (_, i) => `identifier=c${i}`).join('&');
      const response = await send('GET', `/fhir/Observation?${query}`);
      expect(response.statusCode).toBe(400);
      expect((response.json() as Outcome).issue[0]!.details?.text).toMatch(/at most \d+ search parameters/);
    });

    it('answers 400 to 1,000 comma-separated values of one parameter', async () => {
      const response = await send('GET', `/fhir/Observation?_id=${Array.from({ length: 1000 }, (_, i) => `c${i}`).join(',')}`);
      expect(response.statusCode).toBe(400);
    });

    it('applies the same bound to a search inside a batch entry', async () => {
      const query = Array.from({ length: 1000 }, (_, i) => `identifier=c${i}`).join('&');
      const bundle = { resourceType: 'Bundle', type: 'batch', entry: [{ request: { method: 'GET', url: `Observation?${query}` } }] };
      const response = await send('POST', '/fhir', JSON.stringify(bundle));
      expect(response.statusCode).toBe(200);
      expect((response.json() as { entry: Array<{ response: { status: string } }> }).entry[0]!.response.status).toMatch(/^400/);
    });
  });
});
