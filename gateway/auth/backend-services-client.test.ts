import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../server/free-port.js';
import { buildTestApp, makeKey, tempDatabase, TestClock, type TempDatabase } from '../../test/support/auth-fixture.js';
import {
  BackendServicesTokenCache,
  BackendServicesTokenError,
  fetchBackendServicesToken,
  type BackendServicesTokenRequest,
} from './backend-services-client.js';
import { createClientAssertion } from './client-assertion.js';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import type { Db } from '../store/database.js';

const key = makeKey('ES384', 'ec-1');

describe('Backend Services client against the node over real HTTP', () => {
  let temp: TempDatabase;
  let db: Db;
  let app: FastifyInstance;
  let baseUrl: string;
  const clock = new TestClock();
  let calls = 0;
  const countingFetch: typeof fetch = (input, init) => {
    calls += 1;
    return fetch(input, init);
  };

  beforeAll(async () => {
    temp = tempDatabase();
    db = temp.open();
    baseUrl = `http://127.0.0.1:${await freePort()}`;
    app = await buildTestApp(db, clock, baseUrl);
    await app.smartAuth.registry.registerClient({
      clientId: 'puller',
      name: 'Node pulling from an EHR',
      jwks: { keys: [key.publicJwk] },
      scopes: ['system/*.rs'],
    });
    await app.listen({ host: '127.0.0.1', port: Number(new URL(baseUrl).port) });
  });

  afterAll(async () => {
    await app.close();
    db.close();
    temp.remove();
  });

  function request(overrides: Partial<BackendServicesTokenRequest> = {}): BackendServicesTokenRequest {
    return {
      tokenUrl: `${baseUrl}/auth/token`,
      clientId: 'puller',
      privateKey: key.privateKey,
      alg: 'ES384',
      kid: 'ec-1',
      scope: 'system/Patient.rs',
      fetch: countingFetch,
      now: clock.now,
      ...overrides,
    };
  }

  it('builds SMART client assertions', async () => {
    const assertion = await createClientAssertion({ ...request(), privateKey: key.privateKey });
    expect(decodeProtectedHeader(assertion)).toEqual({ alg: 'ES384', kid: 'ec-1', typ: 'JWT' });
    const claims = decodeJwt(assertion);
    expect(claims).toMatchObject({ iss: 'puller', sub: 'puller', aud: `${baseUrl}/auth/token`, exp: clock.ms / 1000 + 300 });
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
    await expect(createClientAssertion({ ...request(), lifetimeSeconds: 301 })).rejects.toThrow(/1 to 300/);
  });

  it('fetches a token that works on the FHIR API, and reuses it until near expiry', async () => {
    const cache = new BackendServicesTokenCache();
    calls = 0;
    const first = await fetchBackendServicesToken(request({ cache }));
    expect(first).toMatchObject({ tokenType: 'Bearer', scope: 'system/Patient.rs', expiresAt: clock.ms + 300_000 });
    const read = await fetch(`${baseUrl}/fhir/Patient/1`, { headers: { authorization: `Bearer ${first.accessToken}` } });
    expect(read.status).toBe(200);

    clock.advance(239);
    expect(await fetchBackendServicesToken(request({ cache }))).toBe(first);
    expect(calls).toBe(1);

    // 60 s before expiry the token is replaced, so callers never present one about to lapse.
    clock.advance(1);
    const second = await fetchBackendServicesToken(request({ cache }));
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(calls).toBe(2);
  });

  it('shares one request among concurrent callers and keeps scopes apart', async () => {
    const cache = new BackendServicesTokenCache();
    calls = 0;
    const tokens = await Promise.all([1, 2, 3].map(() => fetchBackendServicesToken(request({ cache }))));
    expect(new Set(tokens.map((t) => t.accessToken)).size).toBe(1);
    expect(calls).toBe(1);
    const other = await fetchBackendServicesToken(request({ cache, scope: 'system/Observation.rs' }));
    expect(other.accessToken).not.toBe(tokens[0].accessToken);
    expect(calls).toBe(2);
  });

  it('reports the endpoint refusal with its OAuth error code and does not cache it', async () => {
    const cache = new BackendServicesTokenCache();
    const failing = request({ cache, scope: 'system/Patient.cud' });
    await expect(fetchBackendServicesToken(failing)).rejects.toMatchObject({
      name: 'BackendServicesTokenError',
      status: 400,
      error: 'invalid_scope',
    });
    await expect(fetchBackendServicesToken(failing)).rejects.toBeInstanceOf(BackendServicesTokenError);
    await expect(fetchBackendServicesToken(request({ cache, kid: 'unknown' }))).rejects.toMatchObject({
      status: 401,
      error: 'invalid_client',
    });
  });

  it('refuses a response that is not a bearer token', async () => {
    const fakeFetch: typeof fetch = async () =>
      new Response(JSON.stringify({ access_token: 'x', token_type: 'mac' }), { status: 200 });
    await expect(fetchBackendServicesToken(request({ cache: new BackendServicesTokenCache(), fetch: fakeFetch }))).rejects.toThrow(
      /token_type mac is not Bearer/,
    );
  });
});
