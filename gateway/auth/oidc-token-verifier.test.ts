// Console sign-in tokens from a hospital OpenID Connect provider: a local issuer over real HTTP
// (discovery, JWKS, signing with jose) and the auth plugin in front of a FHIR-scoped route.
import { getStatus, OperationOutcomeError } from '@medplum/core';
import fastify, { type FastifyInstance } from 'fastify';
import { generateKeyPair, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIssuer, type TestIssuer } from '../../test/support/oidc-issuer.js';
import { assertionFor, makeKey, postToken, PUBLIC_BASE_URL, tempDatabase, TestClock, tokenForm, type TempDatabase } from '../../test/support/auth-fixture.js';
import { openAuthStores } from '../store/auth-stores.js';
import type { Db } from '../store/database.js';
import { authPlugin } from './auth-plugin.js';
import { requireFhirAccess } from './fhir-access.js';
import { createOidcTokenVerifier, type OidcTokenVerifier } from './oidc-token-verifier.js';
import { rolesInClaims, scopesForRoles } from './oidc-role-scopes.js';

describe('hospital OpenID Connect tokens for the console', () => {
  let issuer: TestIssuer;
  let verifier: OidcTokenVerifier;
  let temp: TempDatabase;
  let db: Db;
  let app: FastifyInstance;

  beforeAll(async () => {
    issuer = await startTestIssuer();
    verifier = createOidcTokenVerifier({ issuer: issuer.issuer, clientId: issuer.clientId });
    temp = tempDatabase();
    db = temp.open();
    app = fastify();
    await app.register(authPlugin, { stores: openAuthStores(db), publicBaseUrl: PUBLIC_BASE_URL, oidc: verifier });
    app.setErrorHandler((error, _request, reply) => {
      if (error instanceof OperationOutcomeError) return reply.code(getStatus(error.outcome)).send(error.outcome);
      return reply.code(500).send(error);
    });
    app.get('/fhir/Patient', async (request) => requireFhirAccess(request, 'Patient', 'search'));
    app.post('/fhir/Patient', async (request) => requireFhirAccess(request, 'Patient', 'create'));
    app.get('/fhir/Provenance', async (request) => requireFhirAccess(request, 'Provenance', 'search'));
    await app.ready();
  });

  afterAll(async () => {
    await app?.close();
    db?.close();
    temp?.remove();
    await issuer?.close();
  });

  const call = (token: string, url = '/fhir/Patient', method: 'GET' | 'POST' = 'GET') =>
    app.inject({ method, url, headers: { authorization: `Bearer ${token}` } });

  it('admits a staff token with read-only scopes and nothing more', async () => {
    const token = await issuer.sign({ sub: 'u1', groups: ['careledger-staff'] });
    const read = await call(token);
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual({ kind: 'system', clientId: 'oidc:u1', scopes: ['system/*.rs'] });
    const write = await call(token, '/fhir/Patient', 'POST');
    expect(write.statusCode).toBe(403);
    expect(write.headers['www-authenticate']).toContain('insufficient_scope');
  });

  it('gives IT anchors and audit, not clinical content, and accepts ES256', async () => {
    const token = await issuer.sign({ sub: 'it1', groups: 'careledger-it' }, { alg: 'ES256' });
    expect((await call(token, '/fhir/Provenance')).statusCode).toBe(200);
    expect((await call(token)).statusCode).toBe(403);
  });

  it('refuses an expired token, saying to sign in again', async () => {
    const token = await issuer.sign({ sub: 'u1', groups: ['careledger-staff'] }, { expiresInSeconds: -120 });
    const response = await call(token);
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toContain('has expired: sign in again');
  });

  it('refuses a token not valid yet', async () => {
    const result = await verifier.verify(await issuer.sign({ sub: 'u1', groups: ['careledger-staff'] }, { notBeforeSeconds: 600 }));
    expect(result.problem?.description).toContain('not valid yet');
  });

  it('refuses a token of another issuer, both at the verifier and over HTTP', async () => {
    const token = await issuer.sign({ sub: 'u1', groups: ['careledger-staff'], iss: 'https://idp.elsewhere.example' });
    expect((await verifier.verify(token)).problem?.description).toContain('not issued by the provider this node trusts');
    expect(verifier.claimsIssuer(token)).toBe(false);
    expect((await call(token)).statusCode).toBe(401);
  });

  it('refuses a token issued to another client (audience)', async () => {
    const token = await issuer.sign({ sub: 'u1', groups: ['careledger-staff'], aud: 'billing-app' });
    const response = await call(token);
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toContain('another application');
  });

  it('refuses a token signed by a key the provider does not publish', async () => {
    const stranger = await generateKeyPair('RS256');
    const unknownKid = await issuer.sign({ sub: 'u1', groups: ['careledger-staff'] }, { kid: 'rsa-9', key: stranger.privateKey });
    expect((await verifier.verify(unknownKid)).problem?.description).toContain('key the provider does not publish');
    const forged = await issuer.sign({ sub: 'u1', groups: ['careledger-staff'] }, { key: stranger.privateKey });
    expect((await verifier.verify(forged)).problem?.description).toContain('signature does not verify');
    expect((await call(forged)).statusCode).toBe(401);
  });

  it('refuses alg none and HS256 (even keyed with the published RSA modulus)', async () => {
    const none = new UnsecuredJWT({ sub: 'u1', groups: ['careledger-staff'] })
      .setIssuer(issuer.issuer)
      .setAudience(issuer.clientId)
      .setExpirationTime('5m')
      .encode();
    expect((await call(none)).statusCode).toBe(401);
    expect((await verifier.verify(none)).principal).toBeNull();
    const jwks = (await (await fetch(`${issuer.issuer}/jwks`)).json()) as { keys: Array<{ n?: string }> };
    const hs = await issuer.sign({ sub: 'u1', groups: ['careledger-staff'] }, { alg: 'HS256', key: new TextEncoder().encode(jwks.keys[0]!.n) });
    const result = await verifier.verify(hs);
    expect(result.principal).toBeNull();
    expect(result.problem?.description).toContain('algorithm this node does not accept');
    expect((await call(hs)).statusCode).toBe(401);
  });

  it('refuses a valid token whose roles this node does not map', async () => {
    for (const groups of [['doctors'], [], undefined]) {
      const token = await issuer.sign({ sub: 'u2', ...(groups ? { groups } : {}) });
      const response = await call(token);
      expect(response.statusCode).toBe(401);
      expect(response.headers['www-authenticate']).toContain('no role this node grants');
    }
  });

  it("still admits the node's own tokens beside the provider's", async () => {
    const key = makeKey('ES384', 'ec-1');
    await app.smartAuth.registry.registerClient({ clientId: 'ehr', name: 'EHR', jwks: { keys: [key.publicJwk] }, scopes: ['system/Patient.rs'] });
    const { body } = await postToken(app, tokenForm(await assertionFor(key, 'ehr', new TestClock(Date.now())), 'system/Patient.rs'));
    const response = await call(body.access_token as string);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ clientId: 'ehr' });
  });

  it('reads roles at a dotted claim path and maps only known roles', () => {
    expect(rolesInClaims({ realm_access: { roles: ['careledger-it', 7, 'x'] } }, 'realm_access.roles')).toEqual(['careledger-it', 'x']);
    expect(rolesInClaims({ groups: { nested: true } }, 'groups')).toEqual([]);
    expect(scopesForRoles(['careledger-it', 'careledger-staff', 'admin'])).toEqual(['system/*.rs', 'system/AuditEvent.rs', 'system/Provenance.rs']);
  });

  it('says the provider is unreachable rather than that the token is bad', async () => {
    const offline = createOidcTokenVerifier({ issuer: 'http://127.0.0.1:9', clientId: issuer.clientId });
    const result = await offline.verify(await issuer.sign({ sub: 'u1', groups: ['careledger-staff'] }));
    expect(result.problem?.description).toContain("could not read the sign-in provider's keys");
  });
});
