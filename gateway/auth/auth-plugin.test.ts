import fastify, { type FastifyInstance } from 'fastify';
import { SignJWT, UnsecuredJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openAuthStores } from '../store/auth-stores.js';
import { authPlugin } from './auth-plugin.js';
import {
  assertionFor,
  buildTestApp,
  makeKey,
  postToken,
  PUBLIC_BASE_URL,
  tempDatabase,
  TestClock,
  TOKEN_URL,
  tokenForm,
  type TempDatabase,
  type TestKey,
} from '../../test/support/auth-fixture.js';
import type { Db } from '../store/database.js';

const rsaKey = makeKey('RS384', 'rsa-1');
const ecKey = makeKey('ES384', 'ec-1');
const strangerKey = makeKey('ES384', 'ec-1');

describe('SMART Backend Services auth plugin', () => {
  let temp: TempDatabase;
  let db: Db;
  let clock: TestClock;
  let app: FastifyInstance;

  beforeEach(async () => {
    temp = tempDatabase();
    db = temp.open();
    clock = new TestClock();
    app = await buildTestApp(db, clock);
    await app.smartAuth.registry.registerClient({
      clientId: 'ehr',
      name: 'Hospital EHR',
      jwks: { keys: [rsaKey.publicJwk, ecKey.publicJwk] },
      scopes: ['system/Patient.rs', 'system/Observation.cruds'],
    });
  });

  afterEach(async () => {
    await app.close();
    db.close();
    temp.remove();
  });

  async function tokenWith(key: TestKey, scope = 'system/Patient.rs'): Promise<Record<string, unknown>> {
    const { status, body } = await postToken(app, tokenForm(await assertionFor(key, 'ehr', clock), scope));
    expect(status).toBe(200);
    return body;
  }

  async function signed(claims: Record<string, unknown>, key: TestKey = ecKey, header: Record<string, unknown> = {}) {
    const seconds = Math.floor(clock.ms / 1000);
    return new SignJWT({ iss: 'ehr', sub: 'ehr', aud: TOKEN_URL, exp: seconds + 240, jti: crypto.randomUUID(), ...claims })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, ...header })
      .sign(key.privateKey);
  }

  async function refusal(assertion: string, scope = 'system/Patient.rs') {
    return postToken(app, tokenForm(assertion, scope));
  }

  describe('discovery', () => {
    it.each(['/.well-known/smart-configuration', '/fhir/.well-known/smart-configuration', '/fhir/R4/.well-known/smart-configuration'])(
      'serves the Backend Services document at %s',
      async (url) => {
        const response = await app.inject({ method: 'GET', url });
        expect(response.statusCode).toBe(200);
        // Never a max-age: one widely used client on Node 20 keeps such a response for good.
        expect(response.headers['cache-control']).toBe('no-store');
        expect(response.json()).toEqual({
          token_endpoint: TOKEN_URL,
          grant_types_supported: ['client_credentials'],
          token_endpoint_auth_methods_supported: ['private_key_jwt'],
          token_endpoint_auth_signing_alg_values_supported: ['RS384', 'ES384'],
          scopes_supported: ['system/*.cruds', 'system/*.rs', 'system/*.read', 'system/*.write', 'system/*.*'],
          capabilities: ['client-confidential-asymmetric', 'permission-v1', 'permission-v2'],
        });
      },
    );

    it('derives the token URL from a public base URL with a path prefix', async () => {
      const other = fastify();
      await other.register(authPlugin, { stores: openAuthStores(db), publicBaseUrl: 'https://proxy.example.org/node-a/', fhirBases: [] });
      const response = await other.inject({ method: 'GET', url: '/.well-known/smart-configuration' });
      expect(response.json().token_endpoint).toBe('https://proxy.example.org/node-a/auth/token');
      await other.close();
    });

    it('refuses configuration it cannot honour', async () => {
      for (const bad of [
        { publicBaseUrl: 'node.example.org' },
        { publicBaseUrl: PUBLIC_BASE_URL, accessTokenLifetimeSeconds: 3600 },
        { publicBaseUrl: PUBLIC_BASE_URL, fhirBases: ['fhir'] },
      ]) {
        const other = fastify();
        await expect(other.register(authPlugin, { stores: openAuthStores(db), ...bad }).ready()).rejects.toThrow();
        await other.close();
      }
    });
  });

  describe('token endpoint, accepted', () => {
    it.each([
      ['RS384', rsaKey],
      ['ES384', ecKey],
    ])('issues a 5-minute token for an %s assertion, usable on FHIR routes', async (_alg, key) => {
      const response = await postToken(app, tokenForm(await assertionFor(key, 'ehr', clock), 'system/Patient.rs'));
      expect(response.status).toBe(200);
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.headers.pragma).toBe('no-cache');
      expect(response.body).toEqual({
        access_token: expect.stringMatching(/^clat_[A-Za-z0-9_-]{43}$/),
        token_type: 'Bearer',
        expires_in: 300,
        scope: 'system/Patient.rs',
      });
      const read = await app.inject({
        method: 'GET',
        url: '/fhir/Patient/1',
        headers: { authorization: `Bearer ${response.body.access_token}` },
      });
      expect(read.statusCode).toBe(200);
      expect(read.json()).toEqual({ resourceType: 'Patient', clientId: 'ehr' });
    });

    it('grants the intersection of requested and allowed scopes', async () => {
      const body = await tokenWith(ecKey, 'system/*.cruds system/Patient.read launch openid');
      expect((body.scope as string).split(' ').sort()).toEqual(
        ['system/Observation.cruds', 'system/Patient.rs', 'system/Patient.read'].sort(),
      );
    });

    it('accepts an assertion whose aud is an array holding the token URL, and a matching client_id', async () => {
      const response = await postToken(
        app,
        tokenForm(await signed({ aud: ['https://other.example', TOKEN_URL] }), 'system/Patient.rs', { client_id: 'ehr' }),
      );
      expect(response.status).toBe(200);
    });

    it('accepts exp exactly five minutes ahead, and a client clock up to the skew ahead', async () => {
      const seconds = Math.floor(clock.ms / 1000);
      expect((await refusal(await signed({ exp: seconds + 300 }))).status).toBe(200);
      expect((await refusal(await signed({ exp: seconds + 360 }))).status).toBe(200);
    });

    it('exposes request.principal', async () => {
      const body = await tokenWith(ecKey);
      const response = await app.inject({
        method: 'GET',
        url: '/fhir/whoami',
        headers: { authorization: `Bearer ${body.access_token}` },
      });
      expect(response.json()).toEqual({ principal: { kind: 'system', clientId: 'ehr', scopes: ['system/Patient.rs'] } });
      const anonymous = await app.inject({ method: 'GET', url: '/fhir/whoami' });
      expect(anonymous.json()).toEqual({ principal: null });
    });
  });

  describe('token endpoint, refused', () => {
    function expectInvalidClient(response: { status: number; body: Record<string, unknown> }, description: RegExp) {
      expect(response.status).toBe(401);
      expect(response.body.error).toBe('invalid_client');
      expect(response.body.error_description).toMatch(description);
    }

    it('refuses HS256, signed with the public key as an HMAC secret', async () => {
      const secret = new TextEncoder().encode(JSON.stringify(ecKey.publicJwk));
      const seconds = Math.floor(clock.ms / 1000);
      const hs = await new SignJWT({ iss: 'ehr', sub: 'ehr', aud: TOKEN_URL, exp: seconds + 60, jti: 'hs' })
        .setProtectedHeader({ alg: 'HS256', kid: ecKey.kid })
        .sign(secret);
      expectInvalidClient(await refusal(hs), /alg must be one of RS384, ES384 \(got HS256\)/);
    });

    it('refuses alg none', async () => {
      const seconds = Math.floor(clock.ms / 1000);
      const none = new UnsecuredJWT({ iss: 'ehr', sub: 'ehr', aud: TOKEN_URL, exp: seconds + 60, jti: 'none' }).encode();
      expectInvalidClient(await refusal(none), /got none/);
    });

    it('refuses RS256 even from a registered RSA key', async () => {
      expectInvalidClient(await refusal(await signed({}, rsaKey, { alg: 'RS256' })), /got RS256/);
    });

    it('refuses an assertion signed by a key the client did not register', async () => {
      expectInvalidClient(await refusal(await signed({}, strangerKey)), /not signed by a key registered/);
    });

    it('refuses an unknown kid and a kid registered for the other algorithm', async () => {
      expectInvalidClient(await refusal(await signed({}, ecKey, { kid: 'nope' })), /not signed by a key registered/);
      expectInvalidClient(await refusal(await signed({}, ecKey, { kid: rsaKey.kid })), /not signed by a key registered/);
    });

    it('refuses a missing kid', async () => {
      const seconds = Math.floor(clock.ms / 1000);
      const noKid = await new SignJWT({ iss: 'ehr', sub: 'ehr', aud: TOKEN_URL, exp: seconds + 60, jti: 'k' })
        .setProtectedHeader({ alg: 'ES384' })
        .sign(ecKey.privateKey);
      expectInvalidClient(await refusal(noKid), /kid/);
    });

    it('refuses a wrong aud', async () => {
      expectInvalidClient(await refusal(await signed({ aud: `${PUBLIC_BASE_URL}/fhir` })), /aud must be the token URL/);
      expectInvalidClient(await refusal(await signed({ aud: `${TOKEN_URL}/` })), /aud must be the token URL/);
    });

    it('refuses iss or sub other than the client id', async () => {
      expectInvalidClient(await refusal(await signed({ sub: 'someone-else' })), /iss and sub/);
    });

    it('refuses an expired assertion, even by one second', async () => {
      const seconds = Math.floor(clock.ms / 1000);
      expectInvalidClient(await refusal(await signed({ exp: seconds - 1 })), /expired/);
      expectInvalidClient(await refusal(await signed({ exp: seconds })), /expired/);
    });

    it('refuses exp more than five minutes (plus skew) ahead', async () => {
      const seconds = Math.floor(clock.ms / 1000);
      expectInvalidClient(await refusal(await signed({ exp: seconds + 361 })), /at most 300 seconds/);
      expectInvalidClient(await refusal(await signed({ exp: seconds + 3600 })), /at most 300 seconds/);
    });

    it('refuses a missing exp and a missing jti', async () => {
      expectInvalidClient(await refusal(await signed({ exp: undefined })), /exp/);
      expectInvalidClient(await refusal(await signed({ jti: undefined })), /jti/);
    });

    it('refuses a replayed jti', async () => {
      const assertion = await assertionFor(ecKey, 'ehr', clock);
      expect((await refusal(assertion)).status).toBe(200);
      expectInvalidClient(await refusal(assertion), /jti has already been used/);
      // A new signature over the same jti is still a replay.
      const jti = crypto.randomUUID();
      expect((await refusal(await signed({ jti }))).status).toBe(200);
      expectInvalidClient(await refusal(await signed({ jti }, rsaKey)), /jti has already been used/);
    });

    it('refuses a replayed jti after the app restarts on the same database file', async () => {
      const assertion = await assertionFor(ecKey, 'ehr', clock);
      expect((await refusal(assertion)).status).toBe(200);
      await app.close();
      db.close();
      db = temp.open();
      app = await buildTestApp(db, clock);
      expectInvalidClient(await refusal(assertion), /jti has already been used/);
    });

    it('refuses an unknown client', async () => {
      expectInvalidClient(await refusal(await signed({ iss: 'ghost', sub: 'ghost' })), /not signed by a key registered/);
    });

    it('refuses a disabled client and stops its live tokens', async () => {
      const body = await tokenWith(ecKey);
      expect(await app.smartAuth.registry.disableClient('ehr')).toBe(true);
      expectInvalidClient(await refusal(await assertionFor(ecKey, 'ehr', clock)), /not signed by a key registered/);
      const read = await app.inject({
        method: 'GET',
        url: '/fhir/Patient/1',
        headers: { authorization: `Bearer ${body.access_token}` },
      });
      expect(read.statusCode).toBe(401);
    });

    it('refuses a client_id that does not match the assertion', async () => {
      const response = await postToken(app, tokenForm(await assertionFor(ecKey, 'ehr', clock), 'system/Patient.rs', { client_id: 'x' }));
      expectInvalidClient(response, /client_id does not match/);
    });

    it.each([
      ['a scope outside the allowed ones', 'system/Encounter.rs'],
      ['patient-context scopes', 'patient/*.read'],
      ['granular scopes with a query', 'system/Observation.rs?category=laboratory'],
      ['no resource scope at all', 'openid launch'],
      ['an empty scope', ''],
    ])('answers invalid_scope (400) for %s', async (_what, scope) => {
      const response = await refusal(await assertionFor(ecKey, 'ehr', clock), scope);
      expect(response.status).toBe(400);
      expect(response.body.error).toBe('invalid_scope');
    });

    it('answers unsupported_grant_type, invalid_client and invalid_request per RFC 6749', async () => {
      const assertion = await assertionFor(ecKey, 'ehr', clock);
      const wrongGrant = await postToken(app, tokenForm(assertion, 'system/Patient.rs', { grant_type: 'authorization_code' }));
      expect([wrongGrant.status, wrongGrant.body.error]).toEqual([400, 'unsupported_grant_type']);

      const wrongType = await postToken(app, tokenForm(assertion, 'system/Patient.rs', { client_assertion_type: 'urn:x' }));
      expect([wrongType.status, wrongType.body.error]).toEqual([401, 'invalid_client']);

      const noAssertion = await postToken(app, 'grant_type=client_credentials&scope=system%2FPatient.rs');
      expect([noAssertion.status, noAssertion.body.error]).toEqual([401, 'invalid_client']);

      const noGrant = await postToken(app, 'scope=system%2FPatient.rs');
      expect([noGrant.status, noGrant.body.error]).toEqual([400, 'invalid_request']);

      const repeated = await postToken(app, `${tokenForm(assertion, 'system/Patient.rs')}&scope=system%2F*.cruds`);
      expect([repeated.status, repeated.body.error]).toEqual([400, 'invalid_request']);
      expect(repeated.body.error_description).toMatch(/scope is repeated/);

      const json = await app.inject({
        method: 'POST',
        url: '/auth/token',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ grant_type: 'client_credentials' }),
      });
      expect(json.statusCode).toBe(400);
      expect(json.headers['cache-control']).toBe('no-store');
      expect(json.json()).toEqual({
        error: 'invalid_request',
        error_description: 'Content-Type must be application/x-www-form-urlencoded',
      });
    });

    it('accepts a charset on the form content type', async () => {
      const response = await app.inject({
        method: 'POST',
        url: '/auth/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' },
        payload: tokenForm(await assertionFor(ecKey, 'ehr', clock), 'system/Patient.rs'),
      });
      expect(response.statusCode).toBe(200);
    });
  });

  describe('bearer verification on FHIR routes', () => {
    it('answers 401 with an OperationOutcome and a bare challenge when no token is sent', async () => {
      const response = await app.inject({ method: 'GET', url: '/fhir/Patient/1' });
      expect(response.statusCode).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer realm="careledger"');
      expect(response.json()).toMatchObject({
        resourceType: 'OperationOutcome',
        issue: [{ severity: 'error', code: 'login', diagnostics: 'A bearer access token is required' }],
      });
    });

    it.each([
      ['an unknown token', 'Bearer clat_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', /not recognised/],
      ['a token of another shape', 'Bearer eyJhbGciOi.eyJzdWIiOi.sig', /not recognised/],
      ['another scheme', 'Basic dXNlcjpwYXNz', /must be "Bearer <access token>"/],
    ])('answers 401 invalid_token for %s', async (_what, authorization, diagnostics) => {
      const response = await app.inject({ method: 'GET', url: '/fhir/Patient/1', headers: { authorization } });
      expect(response.statusCode).toBe(401);
      expect(response.headers['www-authenticate']).toMatch(/^Bearer realm="careledger", error="invalid_token", error_description="/);
      expect(response.json().issue[0].diagnostics).toMatch(diagnostics);
    });

    it('enforces token expiry with the injected clock', async () => {
      const body = await tokenWith(ecKey);
      const headers = { authorization: `Bearer ${body.access_token}` };
      clock.advance(299);
      expect((await app.inject({ method: 'GET', url: '/fhir/Patient/1', headers })).statusCode).toBe(200);
      clock.advance(1);
      const expired = await app.inject({ method: 'GET', url: '/fhir/Patient/1', headers });
      expect(expired.statusCode).toBe(401);
      expect(expired.headers['www-authenticate']).toBe(
        'Bearer realm="careledger", error="invalid_token", error_description="The access token has expired"',
      );
      expect(expired.json()).toMatchObject({ resourceType: 'OperationOutcome', id: 'unauthorized' });
    });

    it('keeps tokens valid across a restart', async () => {
      const body = await tokenWith(ecKey);
      await app.close();
      db.close();
      db = temp.open();
      app = await buildTestApp(db, clock);
      const read = await app.inject({
        method: 'GET',
        url: '/fhir/Patient/1',
        headers: { authorization: `Bearer ${body.access_token}` },
      });
      expect(read.statusCode).toBe(200);
    });

    it('answers 403 with an OperationOutcome and insufficient_scope when the scopes do not cover the interaction', async () => {
      const body = await tokenWith(ecKey, 'system/Patient.rs system/Observation.r');
      const headers = { authorization: `Bearer ${body.access_token}` };
      expect((await app.inject({ method: 'GET', url: '/fhir/Patient', headers })).statusCode).toBe(200);
      expect((await app.inject({ method: 'GET', url: '/fhir/Observation/1', headers })).statusCode).toBe(200);

      const create = await app.inject({ method: 'POST', url: '/fhir/Patient', headers, payload: {} });
      expect(create.statusCode).toBe(403);
      expect(create.headers['www-authenticate']).toMatch(/error="insufficient_scope".*scope="system\/Patient\.c"/);
      expect(create.json()).toMatchObject({
        resourceType: 'OperationOutcome',
        id: 'forbidden',
        issue: [{ severity: 'error', code: 'forbidden', diagnostics: expect.stringMatching(/create on Patient/) }],
      });

      expect((await app.inject({ method: 'GET', url: '/fhir/Observation', headers })).statusCode).toBe(403);
      expect((await app.inject({ method: 'DELETE', url: '/fhir/Encounter/1', headers })).statusCode).toBe(403);
    });

    it('guards fixed routes with fhirAccessHook: system-level operations need a wildcard scope', async () => {
      await app.smartAuth.registry.registerClient(
        { clientId: 'ehr', name: 'EHR', jwks: { keys: [ecKey.publicJwk] }, scopes: ['system/*.rs', 'system/Patient.cruds'] },
        { replace: true },
      );
      const narrow = await tokenWith(ecKey, 'system/Patient.cruds');
      const wide = await tokenWith(ecKey, 'system/*.read');
      const exportAs = (token: unknown) =>
        app.inject({ method: 'GET', url: '/fhir/$export', headers: { authorization: `Bearer ${token}` } });
      expect((await exportAs(narrow.access_token)).statusCode).toBe(403);
      expect((await exportAs(wide.access_token)).statusCode).toBe(200);
      expect((await app.inject({ method: 'GET', url: '/fhir/$export' })).statusCode).toBe(401);
    });
  });
});
