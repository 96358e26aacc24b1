// Cost of checking a bearer token, which every FHIR request pays.
// Run: npx vitest bench --run test/bench/bearer-verification.bench.ts

import { afterAll, bench, describe } from 'vitest';
import { isPermitted, parseGrantedScopes, requiredPermissions } from '../../gateway/auth/access-decision.js';
import { assertionFor, buildTestApp, makeKey, postToken, tempDatabase, TestClock, tokenForm } from '../support/auth-fixture.js';

const temp = tempDatabase();
const db = temp.open();
const clock = new TestClock(Date.now());
const app = await buildTestApp(db, clock);
const key = makeKey('ES384', 'ec-1');
await app.smartAuth.registry.registerClient({ clientId: 'ehr', name: 'EHR', jwks: { keys: [key.publicJwk] }, scopes: ['system/*.cruds'] });

// A table holding many live tokens, as a busy node would.
const tokens: string[] = [];
for (let i = 0; i < 2000; i++) {
  const { body } = await postToken(app, tokenForm(await assertionFor(key, 'ehr', clock), 'system/Patient.rs system/Observation.rs'));
  tokens.push(body.access_token as string);
}
const headers = tokens.map((token) => `Bearer ${token}`);
let next = 0;

afterAll(async () => {
  await app.close();
  db.close();
  temp.remove();
});

describe('bearer verification', () => {
  bench('verifyBearer (hash + SQLite lookup)', () => {
    app.smartAuth.verifyBearer(headers[next++ % headers.length]);
  });

  bench('verifyBearer + scope decision', () => {
    const { principal } = app.smartAuth.verifyBearer(headers[next++ % headers.length]);
    isPermitted(parseGrantedScopes(principal!.scopes), 'Patient', requiredPermissions('read', 'Patient'));
  });

  bench('GET through fastify (inject) with auth', async () => {
    await app.inject({ method: 'GET', url: '/fhir/Patient/1', headers: { authorization: headers[next++ % headers.length] } });
  });

  bench('GET through fastify (inject), no token: 401', async () => {
    await app.inject({ method: 'GET', url: '/fhir/Patient/1' });
  });

  bench('token endpoint: ES384 assertion to access token', async () => {
    await postToken(app, tokenForm(await assertionFor(key, 'ehr', clock), 'system/Patient.rs'));
  });
});
