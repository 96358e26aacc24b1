import type { FastifyInstance } from 'fastify';
import { beforeEach, describe, expect, it } from 'vitest';
import { BASE_URL, buildTestApp } from '../../test/support/fhir-test-app.js';

let app: FastifyInstance;
let clock: number;

beforeEach(async () => {
  clock = Date.parse('2024-03-01T00:00:00Z');
  ({ app } = await buildTestApp({}, () => new Date(clock)));
});

async function put(type: string, id: string, body: object, at?: string) {
  if (at) clock = Date.parse(at);
  const res = await app.inject({
    method: 'PUT',
    url: `/fhir/${type}/${id}`,
    headers: { 'content-type': 'application/fhir+json' },
    payload: { resourceType: type, id, ...body },
  });
  expect(res.statusCode).toBeLessThan(300);
}

async function search(url: string, headers: Record<string, string> = {}) {
  return app.inject({ method: 'GET', url, headers });
}

const ids = (bundle: { entry?: { resource: { id: string; resourceType: string }; search: { mode: string } }[] }) =>
  (bundle.entry ?? []).filter((e) => e.search.mode === 'match').map((e) => e.resource.id);

const link = (bundle: { link: { relation: string; url: string }[] }, relation: string) =>
  bundle.link.find((l) => l.relation === relation)?.url;

describe('type search parameters', () => {
  beforeEach(async () => {
    await put('Patient', 'a', { identifier: [{ system: 'urn:mrn', value: '1' }] }, '2024-01-10T10:00:00Z');
    await put('Patient', 'b', { identifier: [{ value: '1' }] }, '2024-02-10T10:00:00Z');
    await put('Patient', 'c', { identifier: [{ system: 'urn:ssn', value: '2' }] }, '2024-03-10T10:00:00Z');
    await put('Observation', 'o1', { status: 'final', subject: { reference: 'Patient/a' } });
    await put('Observation', 'o2', { status: 'final', subject: { reference: 'Patient/b' } });
    await put('Observation', 'o3', { status: 'final', subject: { reference: 'Group/g' } });
  });

  it('returns a searchset Bundle with total, fullUrl and search.mode', async () => {
    const res = await search('/fhir/Patient');
    expect(res.statusCode).toBe(200);
    const bundle = res.json();
    expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'searchset', total: 3 });
    expect(bundle.entry[0]).toMatchObject({ fullUrl: `${BASE_URL}/Patient/a`, search: { mode: 'match' } });
  });

  it('_id, with comma-separated alternatives', async () => {
    expect(ids((await search('/fhir/Patient?_id=b')).json())).toEqual(['b']);
    expect(ids((await search('/fhir/Patient?_id=a,c')).json())).toEqual(['a', 'c']);
  });

  it.each([
    ['urn:mrn|1', ['a']],
    ['|1', ['b']],
    ['1', ['a', 'b']],
    ['urn:ssn|', ['c']],
    ['urn:mrn|2', []],
  ])('identifier=%s', async (value, expected) => {
    expect(ids((await search(`/fhir/Patient?identifier=${encodeURIComponent(value)}`)).json())).toEqual(expected);
  });

  it.each([
    ['patient=Patient/a', ['o1']],
    ['patient=b', ['o2']],
    ['subject=Patient/b', ['o2']],
    ['subject=g', ['o3']],
    ['subject=Group/g', ['o3']],
  ])('%s', async (query, expected) => {
    expect(ids((await search(`/fhir/Observation?${query}`)).json())).toEqual(expected);
  });

  it.each([
    ['eq2024-02', ['b']],
    ['2024-02-10', ['b']],
    ['gt2024-02-10', ['c']],
    ['ge2024-02-10', ['b', 'c']],
    ['lt2024-02-10', ['a']],
    ['le2024-02-10', ['a', 'b']],
    ['ge2024-01-10T10:00:00Z', ['a', 'b', 'c']],
  ])('_lastUpdated=%s', async (value, expected) => {
    expect(ids((await search(`/fhir/Patient?_lastUpdated=${value}`)).json())).toEqual(expected);
  });

  it('combines repeated parameters with AND', async () => {
    expect(ids((await search('/fhir/Patient?_lastUpdated=ge2024-02-01&_lastUpdated=lt2024-03-01')).json())).toEqual(['b']);
  });

  it.each(['yesterday', '2024-13', 'xx2024', '2024-02-30T25:00'])('rejects _lastUpdated=%s with 400', async (value) => {
    const res = await search(`/fhir/Patient?_lastUpdated=${value}`);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', expression: ['_lastUpdated'] }] });
  });

  it('POST _search takes form-encoded parameters', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/fhir/Patient/_search',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'identifier=urn%3Amrn%7C1',
    });
    expect(res.statusCode).toBe(200);
    expect(ids(res.json())).toEqual(['a']);
  });

  it('_summary=count returns the total and no entries', async () => {
    const bundle = (await search('/fhir/Patient?_summary=count')).json();
    expect(bundle.total).toBe(3);
    expect(bundle.entry).toEqual([]);
    expect((await search('/fhir/Patient?_count=0')).json()).toMatchObject({ total: 3, entry: [] });
  });
});

describe('unknown parameters', () => {
  // Issue #15: a dropped parameter turned `name=…&birthdate=…` into "any patient".
  it('are a 400 by default, naming the parameter and how to have it ignored', async () => {
    await put('Patient', 'a', {});
    const res = await search('/fhir/Patient?_id=a&nickname=al');
    expect(res.statusCode).toBe(400);
    const issue = res.json().issue[0];
    expect(issue.expression).toEqual(['nickname']);
    expect(issue.details.text).toMatch(/handling=lenient/);
    expect((await search('/fhir/Patient?identifier:of-type=x')).statusCode).toBe(400);
  });

  it('are ignored with a warning under Prefer: handling=lenient and left out of the self link', async () => {
    await put('Patient', 'a', {});
    const bundle = (await search('/fhir/Patient?nickname=al&_id=a&identifier:of-type=x', { prefer: 'handling=lenient' })).json();
    expect(ids(bundle)).toEqual(['a']);
    const outcome = bundle.entry.find((e: { search: { mode: string } }) => e.search.mode === 'outcome');
    expect(outcome.resource.resourceType).toBe('OperationOutcome');
    expect(outcome.resource.issue.map((i: { expression: string[] }) => i.expression[0])).toEqual(['nickname', 'identifier:of-type']);
    expect(outcome.resource.issue[0].severity).toBe('warning');
    expect(link(bundle, 'self')).toBe(`${BASE_URL}/Patient?_id=a&_count=20`);
  });

  it('are a 400 with Prefer: handling=strict', async () => {
    const res = await search('/fhir/Patient?nickname=al', { prefer: 'handling=strict' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ expression: ['nickname'] }] });
  });

  it('a parameter known for another type only is unknown here', async () => {
    expect((await search('/fhir/Patient?target=Patient/a', { prefer: 'handling=strict' })).statusCode).toBe(400);
  });

  it('_format=json is a general parameter, taken under handling=strict', async () => {
    await put('Patient', 'a', {});
    for (const format of ['json', 'application/fhir+json', 'application/json']) {
      const res = await search(`/fhir/Patient?_id=a&_format=${encodeURIComponent(format)}`, { prefer: 'handling=strict' });
      expect(res.statusCode).toBe(200);
      expect(ids(res.json())).toEqual(['a']);
    }
  });
});

describe('paging', () => {
  beforeEach(async () => {
    for (let i = 0; i < 45; i++) await put('Patient', `p${String(i).padStart(2, '0')}`, {});
  });

  it('defaults to 20 per page with first and next links', async () => {
    const bundle = (await search('/fhir/Patient')).json();
    expect(bundle.total).toBe(45);
    expect(ids(bundle)).toHaveLength(20);
    expect(link(bundle, 'self')).toBe(`${BASE_URL}/Patient?_count=20`);
    expect(link(bundle, 'next')).toBe(`${BASE_URL}/Patient?_count=20&_offset=20`);
    expect(link(bundle, 'previous')).toBeUndefined();
  });

  it('walks next links to the end and keeps the other parameters', async () => {
    let url: string | undefined = '/fhir/Patient?_lastUpdated=ge2000&_count=20';
    const seen: string[] = [];
    while (url) {
      const bundle = (await search(url.replace('http://node.test', ''))).json();
      seen.push(...ids(bundle));
      if (seen.length > 20) expect(link(bundle, 'previous')).toContain('_lastUpdated=ge2000');
      url = link(bundle, 'next');
    }
    expect(seen).toHaveLength(45);
    expect(new Set(seen).size).toBe(45);
  });

  it('previous link from the middle', async () => {
    const bundle = (await search('/fhir/Patient?_count=10&_offset=15')).json();
    expect(ids(bundle)[0]).toBe('p15');
    expect(link(bundle, 'previous')).toBe(`${BASE_URL}/Patient?_count=10&_offset=5`);
    expect(link(bundle, 'next')).toBe(`${BASE_URL}/Patient?_count=10&_offset=25`);
  });

  it('caps _count at 1000', async () => {
    const bundle = (await search('/fhir/Patient?_count=5000')).json();
    expect(ids(bundle)).toHaveLength(45);
    expect(link(bundle, 'self')).toBe(`${BASE_URL}/Patient?_count=1000`);
  });

  it.each(['-1', 'ten', '1.5'])('rejects _count=%s with 400', async (value) => {
    expect((await search(`/fhir/Patient?_count=${value}`)).statusCode).toBe(400);
  });
});

describe('Provenance?target', () => {
  it('is passed through to the service', async () => {
    await put('Provenance', 'pv1', { target: [{ reference: 'Claim/c1/_history/1' }], recorded: '2024-01-01T00:00:00Z' });
    await put('Provenance', 'pv2', { target: [{ reference: 'Claim/c2/_history/1' }], recorded: '2024-01-01T00:00:00Z' });
    const bundle = (await search('/fhir/Provenance?target=Claim/c1', { prefer: 'handling=strict' })).json();
    expect(ids(bundle)).toEqual(['pv1']);
  });
});
