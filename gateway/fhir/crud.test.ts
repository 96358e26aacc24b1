import type { FastifyInstance } from 'fastify';
import { beforeEach, describe, expect, it } from 'vitest';
import type { MemoryResourceService } from '../../test/support/memory-resource-service.js';
import { BASE_URL, buildTestApp, type AuthorizeCall } from '../../test/support/fhir-test-app.js';

const FHIR_JSON = 'application/fhir+json';

let app: FastifyInstance;
let service: MemoryResourceService;
let authorizeCalls: AuthorizeCall[];

beforeEach(async () => {
  ({ app, service, authorizeCalls } = await buildTestApp());
});

async function create(body: object, headers: Record<string, string> = {}) {
  return app.inject({ method: 'POST', url: '/fhir/Patient', headers: { 'content-type': FHIR_JSON, ...headers }, payload: body });
}

async function put(id: string, body: object, headers: Record<string, string> = {}) {
  return app.inject({ method: 'PUT', url: `/fhir/Patient/${id}`, headers: { 'content-type': FHIR_JSON, ...headers }, payload: body });
}

describe('create', () => {
  it('stores the resource and answers 201 with ETag, Last-Modified, Location and the resource', async () => {
    const res = await create({ resourceType: 'Patient', gender: 'female' });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({ resourceType: 'Patient', gender: 'female', meta: { versionId: '1' } });
    expect(res.headers.etag).toBe('W/"1"');
    expect(res.headers.location).toBe(`${BASE_URL}/Patient/${body.id}/_history/1`);
    expect(new Date(res.headers['last-modified'] as string).getTime()).toBe(Math.floor(Date.parse(body.meta.lastUpdated) / 1000) * 1000);
    expect(res.headers['content-type']).toBe('application/fhir+json; fhirVersion=5.0; charset=utf-8');
  });

  it('ignores a client-supplied id', async () => {
    const res = await create({ resourceType: 'Patient', id: 'mine' });
    expect(res.statusCode).toBe(201);
    expect(res.json().id).not.toBe('mine');
  });

  it.each(['application/json', 'application/json+fhir', 'application/fhir+json; charset=utf-8', 'application/fhir+json; fhirVersion=5.0'])(
    'accepts %s bodies',
    async (contentType) => {
      const res = await create({ resourceType: 'Patient' }, { 'content-type': contentType });
      expect(res.statusCode).toBe(201);
    },
  );

  it('honours Prefer: return=minimal and return=OperationOutcome', async () => {
    const minimal = await create({ resourceType: 'Patient' }, { prefer: 'return=minimal' });
    expect(minimal.statusCode).toBe(201);
    expect(minimal.body).toBe('');
    expect(minimal.headers.location).toMatch(/\/_history\/1$/);
    const outcome = await create({ resourceType: 'Patient' }, { prefer: 'return=OperationOutcome' });
    expect(outcome.statusCode).toBe(201);
    expect(outcome.json()).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ severity: 'information' }] });
  });

  it('rejects a resourceType that does not match the URL with 400', async () => {
    const res = await create({ resourceType: 'Observation' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'invalid', expression: ['resourceType'] }] });
    expect(service.size).toBe(0);
  });

  it('rejects a body that is not a resource with 400', async () => {
    for (const payload of ['[1,2]', '"text"', '{"gender":"male"}']) {
      const res = await app.inject({ method: 'POST', url: '/fhir/Patient', headers: { 'content-type': FHIR_JSON }, payload });
      expect(res.statusCode).toBe(400);
      expect(res.json().resourceType).toBe('OperationOutcome');
    }
  });

  it('returns validation errors as a 400 OperationOutcome and stores nothing', async () => {
    const res = await create({ resourceType: 'Patient', gender: 'robot' });
    expect(res.statusCode).toBe(400);
    expect(res.json().issue).toContainEqual(expect.objectContaining({ code: 'code-invalid', expression: ['Patient.gender'] }));
    expect(service.size).toBe(0);
  });

  it('answers 404 for an unsupported resource type', async () => {
    const res = await app.inject({ method: 'POST', url: '/fhir/Spaceship', headers: { 'content-type': FHIR_JSON }, payload: { resourceType: 'Spaceship' } });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'not-supported' }] });
  });
});

describe('conditional create (If-None-Exist)', () => {
  const withMrn = (mrn: string) => ({ resourceType: 'Patient', identifier: [{ system: 'urn:mrn', value: mrn }] });

  it('creates when nothing matches', async () => {
    const res = await create(withMrn('1'), { 'if-none-exist': 'identifier=urn:mrn|1' });
    expect(res.statusCode).toBe(201);
  });

  it('returns the existing resource with 200 when exactly one matches', async () => {
    const first = (await create(withMrn('1'))).json();
    const res = await create(withMrn('1'), { 'if-none-exist': 'identifier=urn:mrn|1' });
    expect(res.statusCode).toBe(200);
    expect(res.json().id).toBe(first.id);
    expect(res.headers.etag).toBe('W/"1"');
    expect(service.size).toBe(1);
  });

  it('answers 412 when several match', async () => {
    await create(withMrn('1'));
    await create(withMrn('1'));
    const res = await create(withMrn('1'), { 'if-none-exist': 'identifier=urn:mrn|1' });
    expect(res.statusCode).toBe(412);
    expect(res.json()).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'multiple-matches' }] });
    expect(service.size).toBe(2);
  });
});

describe('read and vread', () => {
  it('reads the current version with its ETag', async () => {
    const { id } = (await create({ resourceType: 'Patient' })).json();
    await put(id, { resourceType: 'Patient', id, gender: 'male' });
    const res = await app.inject({ method: 'GET', url: `/fhir/Patient/${id}` });
    expect(res.statusCode).toBe(200);
    expect(res.headers.etag).toBe('W/"2"');
    expect(res.json()).toMatchObject({ id, gender: 'male', meta: { versionId: '2' } });
  });

  it('vreads an older version', async () => {
    const { id } = (await create({ resourceType: 'Patient' })).json();
    await put(id, { resourceType: 'Patient', id, gender: 'male' });
    const res = await app.inject({ method: 'GET', url: `/fhir/Patient/${id}/_history/1` });
    expect(res.statusCode).toBe(200);
    expect(res.headers.etag).toBe('W/"1"');
    expect(res.json().gender).toBeUndefined();
    expect((await app.inject({ method: 'GET', url: `/fhir/Patient/${id}/_history/9` })).statusCode).toBe(404);
  });

  it('answers 404 for an unknown id and 404 for an unknown type', async () => {
    const unknownId = await app.inject({ method: 'GET', url: '/fhir/Patient/nope' });
    expect(unknownId.statusCode).toBe(404);
    expect(unknownId.json()).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'not-found' }] });
    expect((await app.inject({ method: 'GET', url: '/fhir/Spaceship/1' })).statusCode).toBe(404);
  });

  it('answers HEAD like GET without a body', async () => {
    const { id } = (await create({ resourceType: 'Patient' })).json();
    const res = await app.inject({ method: 'HEAD', url: `/fhir/Patient/${id}` });
    expect(res.statusCode).toBe(200);
    expect(res.headers.etag).toBe('W/"1"');
    expect(res.body).toBe('');
  });
});

describe('update', () => {
  it('creates a new version with 200, Location and ETag', async () => {
    const { id } = (await create({ resourceType: 'Patient' })).json();
    const res = await put(id, { resourceType: 'Patient', id, gender: 'other' });
    expect(res.statusCode).toBe(200);
    expect(res.headers.etag).toBe('W/"2"');
    expect(res.headers.location).toBe(`${BASE_URL}/Patient/${id}/_history/2`);
    expect(res.json()).toMatchObject({ gender: 'other', meta: { versionId: '2' } });
  });

  it('creates with the client id when none exists (update as create: 201)', async () => {
    const res = await put('ehr-42', { resourceType: 'Patient', id: 'ehr-42' });
    expect(res.statusCode).toBe(201);
    expect(res.headers.location).toBe(`${BASE_URL}/Patient/ehr-42/_history/1`);
  });

  it('keeps the version when the content is unchanged', async () => {
    await put('p1', { resourceType: 'Patient', id: 'p1', gender: 'male' });
    const res = await put('p1', { resourceType: 'Patient', id: 'p1', gender: 'male' });
    expect(res.statusCode).toBe(200);
    expect(res.headers.etag).toBe('W/"1"');
  });

  it('rejects an id mismatch or a missing id with 400', async () => {
    const mismatch = await put('p1', { resourceType: 'Patient', id: 'p2' });
    expect(mismatch.statusCode).toBe(400);
    expect(mismatch.json().issue[0]).toMatchObject({ code: 'invalid', expression: ['id'] });
    expect((await put('p1', { resourceType: 'Patient' })).statusCode).toBe(400);
    expect((await put('p1', { resourceType: 'Observation', id: 'p1' })).statusCode).toBe(400);
    expect(service.size).toBe(0);
  });

  it('rejects an id that is not a FHIR id with 400', async () => {
    const res = await put('bad$id', { resourceType: 'Patient', id: 'bad$id' });
    expect(res.statusCode).toBe(400);
    expect(res.json().resourceType).toBe('OperationOutcome');
  });

  describe('If-Match', () => {
    const cases: [string, string, number][] = [
      ['weak ETag of the current version', 'W/"1"', 200],
      ['strong ETag of the current version', '"1"', 200],
      ['bare version id', '1', 200],
      ['stale version', 'W/"0"', 412],
      ['future version', 'W/"7"', 412],
    ];
    it.each(cases)('%s -> %i', async (_name, ifMatch, status) => {
      await put('p1', { resourceType: 'Patient', id: 'p1' });
      const res = await put('p1', { resourceType: 'Patient', id: 'p1', gender: 'male' }, { 'if-match': ifMatch });
      expect(res.statusCode).toBe(status);
      if (status === 412) {
        expect(res.json()).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ severity: 'error' }] });
        expect(service.size).toBe(1);
      }
    });

    it('412 when the resource does not exist', async () => {
      const res = await put('p9', { resourceType: 'Patient', id: 'p9' }, { 'if-match': 'W/"1"' });
      expect(res.statusCode).toBe(412);
      expect(service.size).toBe(0);
    });

    it('400 for a malformed If-Match', async () => {
      await put('p1', { resourceType: 'Patient', id: 'p1' });
      const res = await put('p1', { resourceType: 'Patient', id: 'p1', gender: 'male' }, { 'if-match': 'W/"1", W/"2"' });
      expect(res.statusCode).toBe(400);
    });
  });
});

describe('delete', () => {
  it('deletes, then reads answer 410 and history keeps the deletion', async () => {
    await put('p1', { resourceType: 'Patient', id: 'p1' });
    const del = await app.inject({ method: 'DELETE', url: '/fhir/Patient/p1' });
    expect(del.statusCode).toBe(200);
    expect(del.json().resourceType).toBe('OperationOutcome');
    const read = await app.inject({ method: 'GET', url: '/fhir/Patient/p1' });
    expect(read.statusCode).toBe(410);
    expect(read.json()).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'deleted' }] });
    expect((await app.inject({ method: 'GET', url: '/fhir/Patient/p1/_history/2' })).statusCode).toBe(410);
    expect((await app.inject({ method: 'GET', url: '/fhir/Patient/p1/_history/1' })).statusCode).toBe(200);
  });

  it('answers 200 when there is nothing to delete', async () => {
    const res = await app.inject({ method: 'DELETE', url: '/fhir/Patient/ghost' });
    expect(res.statusCode).toBe(200);
    expect(service.size).toBe(0);
  });

  it('revives a deleted resource on update with 201', async () => {
    await put('p1', { resourceType: 'Patient', id: 'p1' });
    await app.inject({ method: 'DELETE', url: '/fhir/Patient/p1' });
    const res = await put('p1', { resourceType: 'Patient', id: 'p1' });
    expect(res.statusCode).toBe(201);
    expect(res.headers.etag).toBe('W/"3"');
  });
});

describe('history', () => {
  it('returns a history Bundle newest first with deletions', async () => {
    await put('p1', { resourceType: 'Patient', id: 'p1' });
    await put('p1', { resourceType: 'Patient', id: 'p1', gender: 'male' });
    await app.inject({ method: 'DELETE', url: '/fhir/Patient/p1' });
    const res = await app.inject({ method: 'GET', url: '/fhir/Patient/p1/_history' });
    expect(res.statusCode).toBe(200);
    const bundle = res.json();
    expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'history', total: 3 });
    expect(bundle.entry.map((e: { request: { method: string } }) => e.request.method)).toEqual(['DELETE', 'PUT', 'POST']);
    expect(bundle.entry[0].resource).toBeUndefined();
    expect(bundle.entry[1]).toMatchObject({ fullUrl: `${BASE_URL}/Patient/p1`, resource: { gender: 'male' }, response: { etag: 'W/"2"' } });
  });

  it('pages with _count and _offset', async () => {
    for (const gender of ['male', 'female', 'other']) await put('p1', { resourceType: 'Patient', id: 'p1', gender });
    const bundle = (await app.inject({ method: 'GET', url: '/fhir/Patient/p1/_history?_count=2' })).json();
    expect(bundle.entry).toHaveLength(2);
    const next = bundle.link.find((l: { relation: string }) => l.relation === 'next').url as string;
    expect(next).toBe(`${BASE_URL}/Patient/p1/_history?_count=2&_offset=2`);
    const page2 = (await app.inject({ method: 'GET', url: next.replace('http://node.test', '') })).json();
    expect(page2.entry.map((e: { response: { etag: string } }) => e.response.etag)).toEqual(['W/"1"']);
  });

  it('answers 404 for an unknown resource', async () => {
    expect((await app.inject({ method: 'GET', url: '/fhir/Patient/none/_history' })).statusCode).toBe(404);
  });
});

describe('authorization', () => {
  it('asks authorize with the resource type and interaction of each request', async () => {
    await put('p1', { resourceType: 'Patient', id: 'p1' });
    await create({ resourceType: 'Patient' });
    await app.inject({ method: 'GET', url: '/fhir/Patient/p1' });
    await app.inject({ method: 'GET', url: '/fhir/Patient/p1/_history/1' });
    await app.inject({ method: 'GET', url: '/fhir/Patient/p1/_history' });
    await app.inject({ method: 'GET', url: '/fhir/Patient?_id=p1' });
    await app.inject({ method: 'DELETE', url: '/fhir/Patient/p1' });
    await app.inject({ method: 'GET', url: '/fhir/metadata' });
    expect(authorizeCalls.map((c) => c.interaction)).toEqual(['update', 'create', 'read', 'vread', 'history', 'search', 'delete']);
    expect(new Set(authorizeCalls.map((c) => c.resourceType))).toEqual(new Set(['Patient']));
  });

  it('rejects before the service is touched: 403 forbidden, 401 unauthenticated', async () => {
    const denied = await create({ resourceType: 'Patient' }, { 'x-test-deny': 'Patient:create' });
    expect(denied.statusCode).toBe(403);
    expect(denied.json()).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'forbidden' }] });
    const anonymous = await create({ resourceType: 'Patient' }, { 'x-test-anonymous': '1' });
    expect(anonymous.statusCode).toBe(401);
    expect(service.size).toBe(0);
  });

  it('serves metadata without authorization', async () => {
    const res = await app.inject({ method: 'GET', url: '/fhir/metadata', headers: { 'x-test-anonymous': '1' } });
    expect(res.statusCode).toBe(200);
    expect(authorizeCalls).toHaveLength(0);
  });
});
