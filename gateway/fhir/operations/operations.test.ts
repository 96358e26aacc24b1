import type { FastifyInstance } from 'fastify';
import { beforeEach, describe, expect, it } from 'vitest';
import type { MemoryResourceService } from '../../../test/support/memory-resource-service.js';
import { buildTestApp, type AuthorizeCall } from '../../../test/support/fhir-test-app.js';

let app: FastifyInstance;
let service: MemoryResourceService;
let authorizeCalls: AuthorizeCall[];

beforeEach(async () => {
  ({ app, service, authorizeCalls } = await buildTestApp());
  await app.inject({
    method: 'PUT',
    url: '/fhir/Claim/c1',
    headers: { 'content-type': 'application/fhir+json' },
    payload: { resourceType: 'Claim', id: 'c1', status: 'active' },
  });
});

describe('$receipt', () => {
  it('202 with Retry-After and an information OperationOutcome while pending', async () => {
    const res = await app.inject({ method: 'GET', url: '/fhir/Claim/c1/_history/1/$receipt' });
    expect(res.statusCode).toBe(202);
    expect(res.headers['retry-after']).toBe('2');
    expect(res.json()).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ severity: 'information' }] });
  });

  it('200 with the receipt as application/json once anchored', async () => {
    const receipt = { canonicalization: 'urn:careledger:canonicalization:jcs-rfc8785:drop-text-meta:v1', leafIndex: 3 };
    service.markAnchored('Claim', 'c1', '1', receipt);
    const res = await app.inject({ method: 'GET', url: '/fhir/Claim/c1/_history/1/$receipt' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json()).toEqual(receipt);
    expect(authorizeCalls.at(-1)).toEqual({ resourceType: 'Claim', interaction: 'operation' });
  });

  it('404 for an unknown version, 403 when not authorized', async () => {
    expect((await app.inject({ method: 'GET', url: '/fhir/Claim/c1/_history/9/$receipt' })).statusCode).toBe(404);
    const denied = await app.inject({ method: 'GET', url: '/fhir/Claim/c1/_history/1/$receipt', headers: { 'x-test-deny': 'Claim:operation' } });
    expect(denied.statusCode).toBe(403);
  });
});

describe('$verify-anchor', () => {
  const claim = { resourceType: 'Claim', id: 'c1', status: 'active' };

  async function verify(parameter: object[], headers: Record<string, string> = {}) {
    return app.inject({
      method: 'POST',
      url: '/fhir/$verify-anchor',
      headers: { 'content-type': 'application/fhir+json', ...headers },
      payload: { resourceType: 'Parameters', parameter },
    });
  }

  const param = (name: string, parameters: object[]) =>
    (parameters as { name: string }[]).filter((p) => p.name === name);

  it('returns valid=true with the checks for a receipt as valueString', async () => {
    const res = await verify([
      { name: 'resource', resource: claim },
      { name: 'receipt', valueString: JSON.stringify({ digest: 'good' }) },
    ]);
    expect(res.statusCode).toBe(200);
    const out = res.json();
    expect(out.resourceType).toBe('Parameters');
    expect(param('valid', out.parameter)).toEqual([{ name: 'valid', valueBoolean: true }]);
    expect(param('check', out.parameter)).toHaveLength(2);
    expect(param('failedCheck', out.parameter)).toEqual([]);
    expect(authorizeCalls.at(-1)).toEqual({ resourceType: 'Claim', interaction: 'operation' });
  });

  it('returns valid=false, failedCheck and reason for a receipt as valueAttachment', async () => {
    const data = Buffer.from(JSON.stringify({ digest: 'bad' })).toString('base64');
    const res = await verify([
      { name: 'resource', resource: claim },
      { name: 'receipt', valueAttachment: { contentType: 'application/json', data } },
    ]);
    expect(res.statusCode).toBe(200);
    const out = res.json().parameter;
    expect(param('valid', out)).toEqual([{ name: 'valid', valueBoolean: false }]);
    expect(param('failedCheck', out)).toEqual([{ name: 'failedCheck', valueCode: 'digest' }]);
    expect(param('reason', out)).toEqual([{ name: 'reason', valueString: 'digest mismatch' }]);
    expect(param('check', out)[0]).toEqual({
      name: 'check',
      part: [
        { name: 'name', valueCode: 'digest' },
        { name: 'passed', valueBoolean: false },
        { name: 'detail', valueString: 'recomputed digest differs' },
      ],
    });
  });

  it.each([
    ['no resource', [{ name: 'receipt', valueString: '{}' }]],
    ['no receipt', [{ name: 'resource', resource: claim }]],
    ['a receipt that is not JSON', [{ name: 'resource', resource: claim }, { name: 'receipt', valueString: 'nope' }]],
  ])('400 for %s', async (_name, parameter) => {
    const res = await verify(parameter);
    expect(res.statusCode).toBe(400);
    expect(res.json().resourceType).toBe('OperationOutcome');
  });

  it('400 when the body is not a Parameters resource', async () => {
    const res = await app.inject({ method: 'POST', url: '/fhir/$verify-anchor', headers: { 'content-type': 'application/fhir+json' }, payload: claim });
    expect(res.statusCode).toBe(400);
  });

  it('403 when not authorized for the verified type', async () => {
    const res = await verify(
      [
        { name: 'resource', resource: claim },
        { name: 'receipt', valueString: '{}' },
      ],
      { 'x-test-deny': 'Claim:operation' },
    );
    expect(res.statusCode).toBe(403);
  });
});
