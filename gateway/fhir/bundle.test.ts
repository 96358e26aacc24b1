import type { FastifyInstance } from 'fastify';
import { beforeEach, describe, expect, it } from 'vitest';
import type { MemoryResourceService } from '../../test/support/memory-resource-service.js';
import { BASE_URL, buildTestApp } from '../../test/support/fhir-test-app.js';

let app: FastifyInstance;
let service: MemoryResourceService;

beforeEach(async () => {
  ({ app, service } = await buildTestApp());
});

const PATIENT_URN = 'urn:uuid:6f9619ff-8b86-4d11-b42d-00c04fc964ff';
const ENCOUNTER_URN = 'urn:uuid:0b1e8a2c-1111-4a5b-9c3d-aaaaaaaaaaaa';

async function post(bundle: object, headers: Record<string, string> = {}, url = '/fhir') {
  return app.inject({ method: 'POST', url, headers: { 'content-type': 'application/fhir+json', ...headers }, payload: bundle });
}

async function put(type: string, id: string, body: object = {}) {
  const res = await app.inject({
    method: 'PUT',
    url: `/fhir/${type}/${id}`,
    headers: { 'content-type': 'application/fhir+json' },
    payload: { resourceType: type, id, ...body },
  });
  expect(res.statusCode).toBeLessThan(300);
}

function transaction(entry: object[]) {
  return { resourceType: 'Bundle', type: 'transaction', entry };
}

function batch(entry: object[]) {
  return { resourceType: 'Bundle', type: 'batch', entry };
}

describe('transaction', () => {
  it('stores every entry and answers transaction-response with status, location and etag', async () => {
    await put('Patient', 'old');
    const res = await post(
      transaction([
        { resource: { resourceType: 'Patient', gender: 'male' }, request: { method: 'POST', url: 'Patient' } },
        { resource: { resourceType: 'Patient', id: 'p2' }, request: { method: 'PUT', url: 'Patient/p2' } },
        { request: { method: 'DELETE', url: 'Patient/old' } },
      ]),
    );
    expect(res.statusCode).toBe(200);
    const bundle = res.json();
    expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'transaction-response' });
    const [created, updated, deleted] = bundle.entry;
    expect(created.response).toMatchObject({ status: '201 Created', etag: 'W/"1"' });
    expect(created.response.location).toMatch(new RegExp(`^${BASE_URL}/Patient/[\\w-]+/_history/1$`));
    expect(created.resource).toMatchObject({ resourceType: 'Patient', gender: 'male' });
    expect(updated.response).toMatchObject({ status: '201 Created', location: `${BASE_URL}/Patient/p2/_history/1` });
    expect(deleted.response).toMatchObject({ status: '200 OK', etag: 'W/"2"' });
    expect((await app.inject({ method: 'GET', url: '/fhir/Patient/old' })).statusCode).toBe(410);
  });

  it('assigns ids to urn:uuid entries and rewrites every reference to them, narrative included', async () => {
    const res = await post(
      transaction([
        {
          fullUrl: ENCOUNTER_URN,
          resource: {
            resourceType: 'Encounter',
            status: 'completed',
            subject: { reference: PATIENT_URN },
            text: { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml"><a href="${PATIENT_URN}">patient</a></div>` },
          },
          request: { method: 'POST', url: 'Encounter' },
        },
        {
          fullUrl: 'urn:uuid:3c1c5a1e-2222-4b6a-8d3e-bbbbbbbbbbbb',
          resource: {
            resourceType: 'Observation',
            status: 'final',
            subject: { reference: PATIENT_URN },
            encounter: { reference: ENCOUNTER_URN },
            hasMember: [{ reference: 'Observation/external' }],
          },
          request: { method: 'POST', url: 'Observation' },
        },
        { fullUrl: PATIENT_URN, resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } },
      ]),
    );
    expect(res.statusCode).toBe(200);
    const [encounter, observation, patient] = res.json().entry.map((e: { resource: Record<string, never> }) => e.resource);
    expect(patient.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(encounter.subject.reference).toBe(`Patient/${patient.id}`);
    expect(encounter.text.div).toContain(`href="Patient/${patient.id}"`);
    expect(observation.subject.reference).toBe(`Patient/${patient.id}`);
    expect(observation.encounter.reference).toBe(`Encounter/${encounter.id}`);
    expect(observation.hasMember[0].reference).toBe('Observation/external');
    const stored = (await app.inject({ method: 'GET', url: `/fhir/Observation/${observation.id}` })).json();
    expect(stored.subject.reference).toBe(`Patient/${patient.id}`);
  });

  it('maps a urn:uuid on a PUT entry to its id', async () => {
    const res = await post(
      transaction([
        { fullUrl: PATIENT_URN, resource: { resourceType: 'Patient', id: 'ehr-1' }, request: { method: 'PUT', url: 'Patient/ehr-1' } },
        {
          resource: { resourceType: 'Observation', status: 'final', subject: { reference: PATIENT_URN } },
          request: { method: 'POST', url: 'Observation' },
        },
      ]),
    );
    expect(res.json().entry[1].resource.subject.reference).toBe('Patient/ehr-1');
  });

  it('points urn:uuid references at the existing resource when a conditional create matches', async () => {
    await put('Patient', 'known', { identifier: [{ system: 'urn:mrn', value: '7' }] });
    const res = await post(
      transaction([
        {
          fullUrl: PATIENT_URN,
          resource: { resourceType: 'Patient', identifier: [{ system: 'urn:mrn', value: '7' }] },
          request: { method: 'POST', url: 'Patient', ifNoneExist: 'identifier=urn:mrn|7' },
        },
        {
          resource: { resourceType: 'Observation', status: 'final', subject: { reference: PATIENT_URN } },
          request: { method: 'POST', url: 'Observation' },
        },
      ]),
    );
    expect(res.statusCode).toBe(200);
    const [patient, observation] = res.json().entry;
    expect(patient.response.status).toBe('200 OK');
    expect(patient.resource.id).toBe('known');
    expect(observation.resource.subject.reference).toBe('Patient/known');
  });

  it('processes DELETE, then POST, then PUT, then GET', async () => {
    await put('Patient', 'p1', { gender: 'male' });
    const res = await post(
      transaction([
        { request: { method: 'GET', url: 'Patient/p1' } },
        { resource: { resourceType: 'Patient', id: 'p1', gender: 'female' }, request: { method: 'PUT', url: 'Patient/p1' } },
        { resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } },
        { request: { method: 'DELETE', url: 'Patient/gone' } },
      ]),
    );
    expect(res.statusCode).toBe(200);
    const entries = res.json().entry;
    expect(entries[0]).toMatchObject({ response: { status: '200 OK', etag: 'W/"2"' }, resource: { gender: 'female' } });
    expect(entries.map((e: { response: { status: string } }) => e.response.status)).toEqual(['200 OK', '200 OK', '201 Created', '200 OK']);
  });

  it('rejects the whole Bundle when one entry is invalid, storing nothing', async () => {
    const res = await post(
      transaction([
        { resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } },
        { resource: { resourceType: 'Patient', gender: 'robot' }, request: { method: 'POST', url: 'Patient' } },
        { resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } },
      ]),
    );
    expect(res.statusCode).toBe(400);
    const outcome = res.json();
    expect(outcome.resourceType).toBe('OperationOutcome');
    expect(outcome.issue[0].details.text).toMatch(/^Bundle\.entry\[1\]: /);
    expect(service.size).toBe(0);
  });

  it('rejects the whole Bundle when the service refuses one write (If-Match), storing nothing', async () => {
    await put('Patient', 'p1');
    const before = service.size;
    const res = await post(
      transaction([
        { resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } },
        { resource: { resourceType: 'Patient', id: 'p1', gender: 'male' }, request: { method: 'PUT', url: 'Patient/p1', ifMatch: 'W/"5"' } },
      ]),
    );
    expect(res.statusCode).toBe(412);
    expect(service.size).toBe(before);
  });

  it.each([
    ['an unsupported type', { resource: { resourceType: 'Spaceship' }, request: { method: 'POST', url: 'Spaceship' } }, 404],
    ['a resourceType / URL mismatch', { resource: { resourceType: 'Observation' }, request: { method: 'POST', url: 'Patient' } }, 400],
    ['a PUT id mismatch', { resource: { resourceType: 'Patient', id: 'x' }, request: { method: 'PUT', url: 'Patient/y' } }, 400],
    ['PATCH', { request: { method: 'PATCH', url: 'Patient/p1' } }, 400],
    ['a conditional update', { resource: { resourceType: 'Patient' }, request: { method: 'PUT', url: 'Patient?identifier=1' } }, 400],
    ['a missing request', { resource: { resourceType: 'Patient' } }, 400],
    ['a URL on another server', { resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'http://elsewhere/fhir/Patient' } }, 400],
  ])('rejects %s with nothing stored', async (_name, bad, status) => {
    const res = await post(transaction([{ resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } }, bad]));
    expect(res.statusCode).toBe(status);
    expect(res.json().resourceType).toBe('OperationOutcome');
    expect(service.size).toBe(0);
  });

  it('rejects two entries writing the same resource, and duplicate fullUrls', async () => {
    const twice = await post(
      transaction([
        { resource: { resourceType: 'Patient', id: 'a' }, request: { method: 'PUT', url: 'Patient/a' } },
        { request: { method: 'DELETE', url: 'Patient/a' } },
      ]),
    );
    expect(twice.statusCode).toBe(400);
    const sameUrn = await post(
      transaction([
        { fullUrl: PATIENT_URN, resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } },
        { fullUrl: PATIENT_URN, resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } },
      ]),
    );
    expect(sameUrn.statusCode).toBe(400);
    expect(service.size).toBe(0);
  });

  it('rejects the whole Bundle when one entry is not authorized', async () => {
    const res = await post(
      transaction([
        { resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } },
        { resource: { resourceType: 'Observation', status: 'final' }, request: { method: 'POST', url: 'Observation' } },
      ]),
      { 'x-test-deny': 'Observation:create' },
    );
    expect(res.statusCode).toBe(403);
    expect(service.size).toBe(0);
  });

  it('accepts absolute entry URLs under this base', async () => {
    const res = await post(transaction([{ resource: { resourceType: 'Patient' }, request: { method: 'POST', url: `${BASE_URL}/Patient` } }]));
    expect(res.statusCode).toBe(200);
  });

  it('honours Prefer: return=minimal and return=OperationOutcome per entry', async () => {
    const entries = [{ resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } }];
    const minimal = (await post(transaction(entries), { prefer: 'return=minimal' })).json().entry[0];
    expect(minimal.resource).toBeUndefined();
    expect(minimal.response.location).toBeDefined();
    const outcome = (await post(transaction(entries), { prefer: 'return=OperationOutcome' })).json().entry[0];
    expect(outcome.resource).toBeUndefined();
    expect(outcome.response.outcome.resourceType).toBe('OperationOutcome');
  });
});

describe('batch', () => {
  it('processes entries independently: failures carry their own OperationOutcome', async () => {
    await put('Patient', 'p1');
    const res = await post(
      batch([
        { resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } },
        { resource: { resourceType: 'Patient', gender: 'robot' }, request: { method: 'POST', url: 'Patient' } },
        { request: { method: 'GET', url: 'Patient/p1' } },
        { request: { method: 'GET', url: 'Patient/missing' } },
        { resource: { resourceType: 'Patient', id: 'p1', gender: 'male' }, request: { method: 'PUT', url: 'Patient/p1', ifMatch: 'W/"9"' } },
        { request: { method: 'GET', url: 'Patient?_id=p1' } },
        { request: { method: 'DELETE', url: 'Spaceship/1' } },
      ]),
    );
    expect(res.statusCode).toBe(200);
    const bundle = res.json();
    expect(bundle.type).toBe('batch-response');
    const statuses = bundle.entry.map((e: { response: { status: string } }) => e.response.status);
    expect(statuses).toEqual(['201 Created', '400 Bad Request', '200 OK', '404 Not Found', '412 Precondition Failed', '200 OK', '404 Not Found']);
    expect(bundle.entry[1].response.outcome.resourceType).toBe('OperationOutcome');
    expect(bundle.entry[1].response.outcome.issue).toContainEqual(expect.objectContaining({ expression: ['Patient.gender'] }));
    expect(bundle.entry[2].resource.id).toBe('p1');
    expect(bundle.entry[5].resource).toMatchObject({ resourceType: 'Bundle', type: 'searchset', total: 1 });
    expect(service.size).toBe(2);
  });

  it('does not resolve urn:uuid references between entries', async () => {
    const res = await post(
      batch([
        { fullUrl: PATIENT_URN, resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } },
        {
          resource: { resourceType: 'Observation', status: 'final', subject: { reference: PATIENT_URN } },
          request: { method: 'POST', url: 'Observation' },
        },
      ]),
    );
    expect(res.json().entry[1].resource.subject.reference).toBe(PATIENT_URN);
  });

  it('reports an authorization failure on its entry only', async () => {
    const res = await post(
      batch([
        { resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } },
        { resource: { resourceType: 'Observation', status: 'final' }, request: { method: 'POST', url: 'Observation' } },
      ]),
      { 'x-test-deny': 'Observation:create' },
    );
    expect(res.json().entry.map((e: { response: { status: string } }) => e.response.status)).toEqual(['201 Created', '403 Forbidden']);
    expect(service.size).toBe(1);
  });

  it('turns an unexpected failure into a 500 entry without leaking it', async () => {
    service.search = async () => {
      throw new Error('disk on fire');
    };
    const res = await post(batch([{ request: { method: 'GET', url: 'Patient?_id=1' } }]));
    const entry = res.json().entry[0];
    expect(entry.response.status).toBe('500 Internal Server Error');
    expect(JSON.stringify(entry)).not.toContain('disk on fire');
  });
});

describe('Bundle endpoint errors', () => {
  it('rejects a Bundle type other than transaction or batch', async () => {
    const res = await post({ resourceType: 'Bundle', type: 'collection', entry: [] });
    expect(res.statusCode).toBe(400);
    expect(res.json().issue[0].expression).toEqual(['type']);
  });

  it('rejects a resource that is not a Bundle', async () => {
    expect((await post({ resourceType: 'Patient' })).statusCode).toBe(400);
  });

  it('answers an empty transaction with an empty response', async () => {
    const res = await post(transaction([]));
    expect(res.statusCode).toBe(200);
    expect(res.json().entry).toEqual([]);
  });
});
