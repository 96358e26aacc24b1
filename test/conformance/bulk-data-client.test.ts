// Issue #15, acceptance: the flow the SMART Bulk Data client runs against a FHIR server it knows
// only by its base URL, over real HTTP: read `metadata`, take the token endpoint from
// rest.security (SMART oauth-uris), get a token with a signed client assertion (Backend
// Services), kick off `$export`, poll the status URL, download the files. Before the fix the
// statement had no rest.security, and the client went on without a token into a 401.

import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientRegistry } from '../../gateway/auth/client-registry.js';
import { SqliteClientStore } from '../../gateway/store/client-store.js';
import { startTestNode, type TestNode } from '../support/test-node.js';

const OAUTH_URIS = 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris';
const CLIENT_ID = 'bulk-data-client';
const KID = 'bulk-1';

let node: TestNode;
let privateKey: CryptoKey;

beforeAll(async () => {
  node = await startTestNode();
  const keys = await generateKeyPair('ES384', { extractable: true });
  privateKey = keys.privateKey;
  await new ClientRegistry(new SqliteClientStore(node.db)).registerClient({
    clientId: CLIENT_ID,
    name: 'Bulk Data client',
    jwks: { keys: [{ ...(await exportJWK(keys.publicKey)), kid: KID, alg: 'ES384' }] },
    scopes: ['system/*.rs'],
  });
  for (let i = 0; i < 3; i++) {
    const response = await fetch(`${node.fhirBase}/Patient`, {
      method: 'POST',
      headers: { authorization: `Bearer ${node.token}`, 'content-type': 'application/fhir+json' },
      body: JSON.stringify({ resourceType: 'Patient', name: [{ family: `Bulk${i}` }] }),
    });
    expect(response.status).toBe(201);
  }
}, 60_000);

afterAll(async () => {
  await node?.dispose();
});

async function tokenEndpointFromMetadata(fhirBase: string): Promise<string> {
  const statement = (await (await fetch(`${fhirBase}/metadata`, { headers: { accept: 'application/fhir+json' } })).json()) as {
    rest: Array<{ security?: { extension?: Array<{ url: string; extension?: Array<{ url: string; valueUri: string }> }>; service?: Array<{ coding: Array<{ code: string }> }> } }>;
  };
  const security = statement.rest[0]!.security!;
  expect(security.service?.[0]?.coding[0]?.code).toBe('SMART-on-FHIR');
  const uris = security.extension!.find((extension) => extension.url === OAUTH_URIS)!;
  return uris.extension!.find((extension) => extension.url === 'token')!.valueUri;
}

async function accessToken(tokenUrl: string): Promise<string> {
  const assertion = await new SignJWT({})
    .setProtectedHeader({ alg: 'ES384', kid: KID, typ: 'JWT' })
    .setIssuer(CLIENT_ID)
    .setSubject(CLIENT_ID)
    .setAudience(tokenUrl)
    .setJti(randomUUID())
    .setExpirationTime('5m')
    .sign(privateKey);
  const response = await fetch(tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      scope: 'system/*.rs',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
}

describe('a Bulk Data client that knows only the FHIR base', () => {
  it('discovers the token endpoint from metadata, gets a token, exports and downloads', async () => {
    const tokenUrl = await tokenEndpointFromMetadata(node.fhirBase);
    expect(tokenUrl).toBe(`${node.baseUrl}/auth/token`);
    const token = await accessToken(tokenUrl);

    const kickOff = await fetch(`${node.fhirBase}/$export?_type=Patient`, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/fhir+json', prefer: 'respond-async' },
    });
    expect(kickOff.status).toBe(202);
    const statusUrl = kickOff.headers.get('content-location')!;

    let manifest: { output: Array<{ type: string; url: string; count: number }>; requiresAccessToken: boolean } | undefined;
    for (let attempt = 0; attempt < 100 && !manifest; attempt++) {
      const status = await fetch(statusUrl, { headers: { authorization: `Bearer ${token}` } });
      if (status.status === 200) manifest = (await status.json()) as typeof manifest;
      else {
        expect(status.status).toBe(202);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    expect(manifest?.requiresAccessToken).toBe(true);
    const lines: string[] = [];
    for (const file of manifest!.output) {
      const download = await fetch(file.url, { headers: { authorization: `Bearer ${token}`, accept: 'application/fhir+ndjson' } });
      expect(download.status).toBe(200);
      lines.push(...(await download.text()).split('\n').filter(Boolean));
    }
    expect(lines.map((line) => (JSON.parse(line) as { name: Array<{ family: string }> }).name[0]!.family).sort()).toEqual(['Bulk0', 'Bulk1', 'Bulk2']);
  }, 30_000);

  it('the discovery document is never cached for long', async () => {
    const response = await fetch(`${node.fhirBase}/.well-known/smart-configuration`);
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('POST $export is a 405 with Allow, at every level', async () => {
    for (const path of ['$export', 'Patient/$export', 'Group/g1/$export']) {
      const response = await fetch(`${node.fhirBase}/${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${node.token}`, 'content-type': 'application/fhir+json', prefer: 'respond-async' },
        body: JSON.stringify({ resourceType: 'Parameters' }),
      });
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('GET, HEAD');
      expect(((await response.json()) as { resourceType: string }).resourceType).toBe('OperationOutcome');
    }
  });

  it('the statement lists $export', async () => {
    const statement = (await (await fetch(`${node.fhirBase}/metadata`)).json()) as { rest: Array<{ operation: Array<{ name: string }> }> };
    expect(statement.rest[0]!.operation.map((operation) => operation.name)).toContain('export');
  });
});
