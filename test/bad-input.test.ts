// Bad input gets the right status and an OperationOutcome, and changes nothing: no version, no
// journal row, no leaf, no batch, no anchor.

import { flushSearchIndex } from '../gateway/store/deferred-index.js';
import { generateKeyPairSync, createPublicKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchBackendServicesToken } from '../gateway/auth/backend-services-client.js';
import { startTestNode, type TestNode } from './support/test-node.js';

const BODY_LIMIT = 64 * 1024;

describe('bad input changes nothing', () => {
  let node: TestNode;
  let readOnlyToken: string;

  beforeAll(async () => {
    node = await startTestNode({ FHIR_BODY_LIMIT_BYTES: String(BODY_LIMIT) });
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const jwk = { ...createPublicKey(privateKey).export({ format: 'jwk' }), kid: 'reader-1', alg: 'ES384', use: 'sig' };
    await node.app.smartAuth.registry.registerClient({ clientId: 'reader', name: 'read-only client', jwks: { keys: [jwk] }, scopes: ['system/Patient.rs'] });
    readOnlyToken = (
      await fetchBackendServicesToken({
        clientId: 'reader',
        tokenUrl: node.app.smartAuth.tokenUrl,
        privateKey,
        alg: 'ES384',
        kid: 'reader-1',
        scope: 'system/Patient.rs',
      })
    ).accessToken;
  });
  afterAll(async () => node?.dispose());

  function footprint(): Record<string, number> {
    // Index rows of acknowledged writes follow in batches (deferred-index.ts): counted once written.
    flushSearchIndex(node.db);
    const count = (table: string) => (node.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
    return {
      versions: count('resource_versions'),
      journal: count('journal'),
      batches: count('batches'),
      dataKeys: count('data_keys'),
      index: count('search_index'),
    };
  }

  const validPatient = { resourceType: 'Patient', name: [{ family: 'Valid' }], birthDate: '1980-02-03' };

  const cases: Array<{ name: string; status: number; request: () => { path: string; body: string; token?: string | null; contentType?: string } }> = [
    { name: 'malformed JSON', status: 400, request: () => ({ path: 'Patient', body: '{"resourceType": "Patient", ' }) },
    { name: 'unknown resource type', status: 404, request: () => ({ path: 'Spaceship', body: JSON.stringify({ resourceType: 'Spaceship' }) }) },
    {
      name: 'body type does not match the URL',
      status: 400,
      request: () => ({ path: 'Observation', body: JSON.stringify(validPatient) }),
    },
    {
      name: 'an R4 resource that fails validation',
      status: 400,
      request: () => ({ path: 'R4/Patient', body: JSON.stringify({ resourceType: 'Patient', gender: 'sometimes', birthDate: '1980-13-45' }) }),
    },
    {
      name: 'an R5 resource with an unknown element',
      status: 400,
      request: () => ({ path: 'Patient', body: JSON.stringify({ ...validPatient, favouriteColour: 'blue' }) }),
    },
    {
      name: 'a body over the size limit',
      status: 413,
      request: () => ({ path: 'Patient', body: JSON.stringify({ ...validPatient, name: [{ family: 'x'.repeat(BODY_LIMIT) }] }) }),
    },
    { name: 'no token', status: 401, request: () => ({ path: 'Patient', body: JSON.stringify(validPatient), token: null }) },
    { name: 'a wrong token', status: 401, request: () => ({ path: 'Patient', body: JSON.stringify(validPatient), token: 'clat_not-a-token' }) },
    { name: 'a token without write scope', status: 403, request: () => ({ path: 'Patient', body: JSON.stringify(validPatient), token: readOnlyToken }) },
    {
      name: 'a transaction with one bad entry',
      status: 400,
      request: () => ({
        path: '',
        body: JSON.stringify({
          resourceType: 'Bundle',
          type: 'transaction',
          entry: [
            { resource: validPatient, request: { method: 'POST', url: 'Patient' } },
            { resource: { ...validPatient, birthDate: 'yesterday' }, request: { method: 'POST', url: 'Patient' } },
          ],
        }),
      }),
    },
  ];

  for (const testCase of cases) {
    it(`${testCase.name}: ${testCase.status} with an OperationOutcome, nothing stored`, async () => {
      const before = footprint();
      const { path, body, token } = testCase.request();
      const headers: Record<string, string> = { 'content-type': 'application/fhir+json' };
      const bearer = token === undefined ? node.token : token;
      if (bearer) headers.authorization = `Bearer ${bearer}`;
      const response = await fetch(`${node.fhirBase}${path ? `/${path}` : ''}`, { method: 'POST', headers, body });
      expect(response.status).toBe(testCase.status);
      const outcome = (await response.json()) as { resourceType: string; issue: Array<{ severity: string }> };
      expect(outcome.resourceType).toBe('OperationOutcome');
      expect(outcome.issue.some((issue) => issue.severity === 'error' || issue.severity === 'fatal')).toBe(true);
      if (testCase.status === 401) expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(footprint()).toEqual(before);
    });
  }

  it('anchored nothing on chain', async () => {
    await node.anchorer.flush();
    expect(footprint().journal).toBe(0);
    expect(await node.chain.anchors.latestSequence(node.chain.memberId)).toBe(0n);
  });
});
