import type { FastifyInstance } from 'fastify';
import { beforeEach, describe, expect, it } from 'vitest';
import type { MemoryResourceService } from '../../test/support/memory-resource-service.js';
import { buildTestApp } from '../../test/support/fhir-test-app.js';

const R5_CONTENT_TYPE = 'application/fhir+json; fhirVersion=5.0; charset=utf-8';

let app: FastifyInstance;
let service: MemoryResourceService;

beforeEach(async () => {
  ({ app, service } = await buildTestApp({ bodyLimit: 4096 }));
});

function expectOutcome(res: { statusCode: number; headers: Record<string, unknown>; json(): unknown }, status: number) {
  expect(res.statusCode).toBe(status);
  expect(res.headers['content-type']).toBe(R5_CONTENT_TYPE);
  const outcome = res.json() as { resourceType: string; issue: { severity: string }[] };
  expect(outcome.resourceType).toBe('OperationOutcome');
  expect(outcome.issue[0].severity).toBe('error');
  return outcome;
}

describe('every error is an OperationOutcome with the right status', () => {
  it('400 for malformed JSON', async () => {
    const res = await app.inject({ method: 'POST', url: '/fhir/Patient', headers: { 'content-type': 'application/fhir+json' }, payload: '{"resourceType":' });
    expect(JSON.stringify(expectOutcome(res, 400))).toContain('Malformed JSON');
  });

  it('400 for an empty JSON body', async () => {
    expectOutcome(await app.inject({ method: 'POST', url: '/fhir/Patient', headers: { 'content-type': 'application/json' }, payload: '' }), 400);
  });

  it('413 over the body limit', async () => {
    const payload = JSON.stringify({ resourceType: 'Patient', note: 'x'.repeat(5000) });
    const res = await app.inject({ method: 'POST', url: '/fhir/Patient', headers: { 'content-type': 'application/fhir+json' }, payload });
    expect(JSON.stringify(expectOutcome(res, 413))).toContain('4096');
    expect(service.size).toBe(0);
  });

  it('defaults to a 10 MiB limit, above fastify\'s own 1 MiB', async () => {
    const { app: defaults } = await buildTestApp();
    const payload = JSON.stringify({ resourceType: 'Patient', text: { status: 'generated', div: `<div>${'x'.repeat(2_000_000)}</div>` } });
    const res = await defaults.inject({ method: 'POST', url: '/fhir/Patient', headers: { 'content-type': 'application/fhir+json' }, payload });
    expect(res.statusCode).toBe(201);
  });

  it.each(['text/plain', 'application/fhir+xml', 'application/xml'])('415 for %s', async (contentType) => {
    const res = await app.inject({ method: 'POST', url: '/fhir/Patient', headers: { 'content-type': contentType }, payload: '<Patient/>' });
    expectOutcome(res, 415);
  });

  it('405 with Allow for a method the path does not support', async () => {
    const patch = await app.inject({ method: 'PATCH', url: '/fhir/Patient/1', headers: { 'content-type': 'application/json' }, payload: '[]' });
    expectOutcome(patch, 405);
    expect(patch.headers.allow).toBe('GET, PUT, DELETE, HEAD');
    const postMetadata = await app.inject({ method: 'POST', url: '/fhir/metadata', headers: { 'content-type': 'application/json' }, payload: '{}' });
    expectOutcome(postMetadata, 405);
    expect(postMetadata.headers.allow).toBe('GET, HEAD');
    expectOutcome(await app.inject({ method: 'GET', url: '/fhir/$verify-anchor' }), 405);
    expectOutcome(await app.inject({ method: 'DELETE', url: '/fhir/Patient' }), 405);
  });

  it('404 for paths that are no FHIR interaction', async () => {
    expectOutcome(await app.inject({ method: 'GET', url: '/fhir/Patient/1/_history/1/more/segments' }), 404);
    const everything = expectOutcome(await app.inject({ method: 'GET', url: '/fhir/Patient/1/$everything' }), 404);
    expect(everything).toMatchObject({ issue: [{ code: 'not-found' }] });
  });

  it('400 for an invalid id', async () => {
    expectOutcome(await app.inject({ method: 'GET', url: `/fhir/Patient/${'x'.repeat(65)}` }), 400);
  });

  it('500 without internals for an unexpected failure', async () => {
    service.read = async () => {
      throw new TypeError('cannot read properties of undefined (reading secret)');
    };
    const res = await app.inject({ method: 'GET', url: '/fhir/Patient/1' });
    const outcome = expectOutcome(res, 500);
    expect(JSON.stringify(outcome)).not.toContain('secret');
  });

  it('passes OperationOutcomeError statuses from the service through (409 conflict)', async () => {
    const { OperationOutcomeError, conflict } = await import('@medplum/core');
    service.update = async () => {
      throw new OperationOutcomeError(conflict('version race'));
    };
    const res = await app.inject({
      method: 'PUT',
      url: '/fhir/Patient/1',
      headers: { 'content-type': 'application/fhir+json' },
      payload: { resourceType: 'Patient', id: '1' },
    });
    expectOutcome(res, 409);
  });
});
