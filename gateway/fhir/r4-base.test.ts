import type { FastifyInstance } from 'fastify';
import { beforeEach, describe, expect, it } from 'vitest';
import type { MemoryResourceService } from '../../test/support/memory-resource-service.js';
import { BASE_URL, buildTestApp } from '../../test/support/fhir-test-app.js';

const R4_CONTENT_TYPE = 'application/fhir+json; fhirVersion=4.0; charset=utf-8';

let app: FastifyInstance;
let service: MemoryResourceService;

beforeEach(async () => {
  ({ app, service } = await buildTestApp());
});

async function send(method: 'POST' | 'PUT', url: string, payload: object, headers: Record<string, string> = {}) {
  return app.inject({ method, url, headers: { 'content-type': 'application/fhir+json; fhirVersion=4.0', ...headers }, payload });
}

describe('R4 intake base', () => {
  // Issue #15: without Prefer, FHIR lets a server return the resource or nothing, and an
  // OperationOutcome only when asked. The R4 base holds no R4 representation, so it returns nothing.
  it('converts and stores an R4 create, answering 201 with an empty body and an R5 Location by default', async () => {
    const res = await send('POST', '/fhir/R4/Patient', { resourceType: 'Patient', gender: 'male', animal: { species: { text: 'dog' } } });
    expect(res.statusCode).toBe(201);
    expect(res.body).toBe('');
    const location = res.headers.location as string;
    expect(location).toMatch(new RegExp(`^${BASE_URL}/Patient/[\\w-]+/_history/1$`));
    expect(res.headers.etag).toBe('W/"1"');
    const stored = (await app.inject({ method: 'GET', url: location.replace('http://node.test', '') })).json();
    expect(stored).toMatchObject({ resourceType: 'Patient', gender: 'male' });
    expect(stored.animal).toBeUndefined();
  });

  it('keeps the conversion warnings reachable with Prefer: return=OperationOutcome', async () => {
    const res = await send('POST', '/fhir/R4/Patient', { resourceType: 'Patient', animal: { species: { text: 'dog' } } }, { prefer: 'return=OperationOutcome' });
    expect(res.statusCode).toBe(201);
    expect(res.headers['content-type']).toBe(R4_CONTENT_TYPE);
    const outcome = res.json();
    expect(outcome.resourceType).toBe('OperationOutcome');
    expect(outcome.issue).toContainEqual(expect.objectContaining({ severity: 'warning', expression: ['Patient.animal'] }));
  });

  it('never echoes the stored R5 resource: return=representation still gets the OperationOutcome', async () => {
    const res = await send('POST', '/fhir/R4/Patient', { resourceType: 'Patient' }, { prefer: 'return=representation' });
    expect(res.json().resourceType).toBe('OperationOutcome');
    const minimal = await send('POST', '/fhir/R4/Patient', { resourceType: 'Patient' }, { prefer: 'return=minimal' });
    expect(minimal.body).toBe('');
  });

  it('updates (and update-as-create) with If-Match', async () => {
    expect((await send('PUT', '/fhir/R4/Patient/e1', { resourceType: 'Patient', id: 'e1' })).statusCode).toBe(201);
    expect((await send('PUT', '/fhir/R4/Patient/e1', { resourceType: 'Patient', id: 'e1', gender: 'male' }, { 'if-match': 'W/"1"' })).statusCode).toBe(200);
    expect((await send('PUT', '/fhir/R4/Patient/e1', { resourceType: 'Patient', id: 'e1', gender: 'female' }, { 'if-match': 'W/"1"' })).statusCode).toBe(412);
  });

  it('supports conditional create', async () => {
    const body = { resourceType: 'Patient', identifier: [{ system: 'urn:mrn', value: '5' }] };
    const first = await send('POST', '/fhir/R4/Patient', body, { 'if-none-exist': 'identifier=urn:mrn|5' });
    const second = await send('POST', '/fhir/R4/Patient', body, { 'if-none-exist': 'identifier=urn:mrn|5' });
    expect([first.statusCode, second.statusCode]).toEqual([201, 200]);
    expect(second.headers.location).toBe(first.headers.location);
  });

  it('rejects R4 validation errors with 400 before conversion, storing nothing', async () => {
    const res = await send('POST', '/fhir/R4/Patient', { resourceType: 'Patient', gender: 'robot' });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toBe(R4_CONTENT_TYPE);
    expect(res.json().issue[0].details.text).toBe('R4 validation failed');
    expect(service.size).toBe(0);
  });

  it.each([
    ['GET', '/fhir/R4/Patient/1', 'PUT, DELETE'],
    ['GET', '/fhir/R4/Patient', 'POST'],
    ['GET', '/fhir/R4/Patient/1/_history', ''],
    ['GET', '/fhir/R4/Patient/1/_history/1', ''],
    ['POST', '/fhir/R4/Patient/_search', ''],
    ['POST', '/fhir/R4/$verify-anchor', ''],
  ])('%s %s is not supported: 405 with Allow "%s"', async (method, url, allow) => {
    const res = await app.inject({ method: method as 'GET', url });
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe(allow);
    expect(res.json()).toMatchObject({ resourceType: 'OperationOutcome', id: 'method-not-allowed' });
  });

  it('takes transaction Bundles of R4 resources, converting each and resolving urn:uuid references', async () => {
    const urn = 'urn:uuid:11111111-2222-4333-8444-555555555555';
    const res = await send('POST', '/fhir/R4', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: urn, resource: { resourceType: 'Patient', animal: { species: { text: 'cat' } } }, request: { method: 'POST', url: 'Patient' } },
        {
          resource: { resourceType: 'Observation', status: 'final', subject: { reference: urn } },
          request: { method: 'POST', url: `${BASE_URL}/R4/Observation` },
        },
      ],
    });
    expect(res.statusCode).toBe(200);
    const [patient, observation] = res.json().entry;
    expect(patient.resource).toBeUndefined();
    expect(patient.response.outcome.issue).toContainEqual(expect.objectContaining({ severity: 'warning' }));
    const patientId = (patient.response.location as string).split('/')[5];
    const stored = (await app.inject({ method: 'GET', url: (observation.response.location as string).replace('http://node.test', '') })).json();
    expect(stored.subject.reference).toBe(`Patient/${patientId}`);
  });

  it('rejects GET entries: transaction 405, batch per entry', async () => {
    const read = { request: { method: 'GET', url: 'Patient/1' } };
    const create = { resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } };
    const tx = await send('POST', '/fhir/R4', { resourceType: 'Bundle', type: 'transaction', entry: [create, read] });
    expect(tx.statusCode).toBe(405);
    expect(service.size).toBe(0);
    const batch = await send('POST', '/fhir/R4', { resourceType: 'Bundle', type: 'batch', entry: [create, read] });
    expect(batch.json().entry.map((e: { response: { status: string } }) => e.response.status)).toEqual(['201 Created', '405 Method Not Allowed']);
  });

  it('serves an R4 CapabilityStatement describing the intake base', async () => {
    const res = await app.inject({ method: 'GET', url: '/fhir/R4/metadata' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe(R4_CONTENT_TYPE);
    const statement = res.json();
    expect(statement.fhirVersion).toBe('4.0.1');
    expect(statement.implementation.url).toBe(`${BASE_URL}/R4`);
    expect(statement.rest[0].documentation).toContain(BASE_URL);
    const patient = statement.rest[0].resource.find((r: { type: string }) => r.type === 'Patient');
    expect(patient.interaction.map((i: { code: string }) => i.code)).toEqual(['create', 'update', 'delete']);
    expect(statement.rest[0].interaction.map((i: { code: string }) => i.code)).toEqual(['transaction', 'batch']);
  });

  it('answers unknown paths with a 404 OperationOutcome in R4 media type', async () => {
    const res = await app.inject({ method: 'GET', url: '/fhir/R4/Patient/1/_history/1/extra/deep' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toBe(R4_CONTENT_TYPE);
  });
});
