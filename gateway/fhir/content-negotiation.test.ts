import { describe, expect, it } from 'vitest';
import { buildTestApp } from '../../test/support/fhir-test-app.js';

// Issue #15, discovery: what a client that asks for another format, or uses a method the node
// does not offer, is told.
describe('content negotiation', () => {
  it.each(['application/fhir+xml', 'application/xml', 'text/turtle', 'application/fhir+xml, application/fhir+json;q=0'])(
    'Accept: %s gets 406 with an OperationOutcome',
    async (accept) => {
      const { app } = await buildTestApp();
      const res = await app.inject({ method: 'GET', url: '/fhir/metadata', headers: { accept } });
      expect(res.statusCode).toBe(406);
      expect(res.json()).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-supported' }] });
      expect(res.json().issue[0].details.text).toMatch(/application\/fhir\+json/);
    },
  );

  it.each(['application/fhir+json', 'application/json', '*/*', 'application/fhir+xml;q=0.9, application/fhir+json', 'text/html, */*;q=0.1'])(
    'Accept: %s gets JSON',
    async (accept) => {
      const { app } = await buildTestApp();
      expect((await app.inject({ method: 'GET', url: '/fhir/metadata', headers: { accept } })).statusCode).toBe(200);
    },
  );

  it('_format overrides Accept either way, on both bases', async () => {
    const { app } = await buildTestApp();
    expect((await app.inject({ method: 'GET', url: '/fhir/metadata?_format=json', headers: { accept: 'application/fhir+xml' } })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/fhir/metadata?_format=xml' })).statusCode).toBe(406);
    expect((await app.inject({ method: 'GET', url: '/fhir/R4/metadata?_format=application/fhir%2Bxml' })).statusCode).toBe(406);
  });
});

describe('methods the node does not offer', () => {
  it('PATCH with a JSON Patch body is a 405 with Allow, not a 415', async () => {
    const { app, service } = await buildTestApp();
    await service.update('Patient', 'p1', { resourceType: 'Patient', id: 'p1' });
    const res = await app.inject({
      method: 'PATCH',
      url: '/fhir/Patient/p1',
      headers: { 'content-type': 'application/json-patch+json' },
      payload: JSON.stringify([{ op: 'replace', path: '/gender', value: 'male' }]),
    });
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe('GET, PUT, DELETE, HEAD');
    expect(res.json()).toMatchObject({ resourceType: 'OperationOutcome', id: 'method-not-allowed' });
  });

  it('PATCH with an XML body is a 405 too', async () => {
    const { app } = await buildTestApp();
    const res = await app.inject({ method: 'PATCH', url: '/fhir/R4/Patient/p1', headers: { 'content-type': 'application/xml' }, payload: '<Patient/>' });
    expect(res.statusCode).toBe(405);
  });
});
