// Issue 12 finding 13, token endpoint: a stranger must not learn from the answer, or from how
// long it takes, whether a client id or a kid is registered; and an assertion claiming to be
// issued in the future (beyond the allowed clock skew) is refused.

import type { FastifyInstance } from 'fastify';
import { SignJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildTestApp, makeKey, postToken, tempDatabase, TestClock, TOKEN_URL, tokenForm, type TempDatabase, type TestKey } from '../../test/support/auth-fixture.js';
import { verifyClientAssertion } from './client-assertion-verifier.js';
import { ClientRegistry } from './client-registry.js';
import { SqliteAssertionIdStore } from '../store/assertion-id-store.js';
import { SqliteClientStore } from '../store/client-store.js';
import type { Db } from '../store/database.js';

const ecKey = makeKey('ES384', 'ec-1');
const rsaKey = makeKey('RS384', 'rsa-1');
const strangerKey = makeKey('ES384', 'ec-1');

describe('token endpoint edges', () => {
  let temp: TempDatabase;
  let db: Db;
  let clock: TestClock;
  let app: FastifyInstance;

  beforeEach(async () => {
    temp = tempDatabase();
    db = temp.open();
    clock = new TestClock();
    app = await buildTestApp(db, clock);
    for (const [clientId, keys] of [['ehr', [ecKey, rsaKey]], ['retired', [ecKey]]] as const) {
      await app.smartAuth.registry.registerClient({ clientId, name: clientId, jwks: { keys: keys.map((key) => key.publicJwk) }, scopes: ['system/Patient.rs'] });
    }
    await app.smartAuth.registry.disableClient('retired');
  });

  afterEach(async () => {
    await app.close();
    db.close();
    temp.remove();
  });

  async function signed(claims: Record<string, unknown>, key: TestKey = ecKey, header: Record<string, unknown> = {}): Promise<string> {
    const seconds = Math.floor(clock.ms / 1000);
    return new SignJWT({ iss: 'ehr', sub: 'ehr', aud: TOKEN_URL, exp: seconds + 240, jti: crypto.randomUUID(), ...claims })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, ...header })
      .sign(key.privateKey);
  }

  it('gives one answer for an unknown client, a disabled client, an unknown kid, a kid of the other alg and a bad signature', async () => {
    const attempts = [
      await signed({ iss: 'ghost', sub: 'ghost' }),
      await signed({ iss: 'retired', sub: 'retired' }),
      await signed({}, ecKey, { kid: 'nope' }),
      await signed({}, ecKey, { kid: rsaKey.kid }),
      await signed({}, strangerKey),
    ];
    const answers = await Promise.all(attempts.map(async (assertion) => postToken(app, tokenForm(assertion, 'system/Patient.rs'))));
    for (const answer of answers) {
      expect(answer.status).toBe(401);
      expect(answer.body).toEqual(answers[0]!.body);
      expect(answer.headers['www-authenticate']).toEqual(answers[0]!.headers['www-authenticate']);
    }
    expect(answers[0]!.body.error).toBe('invalid_client');
    expect(JSON.stringify(answers.map((answer) => answer.body))).not.toMatch(/ghost|retired|nope|rsa-1|not registered|disabled/);
  });

  it('takes as long for an unknown client as for a registered one with a bad signature', async () => {
    const config = { registry: new ClientRegistry(new SqliteClientStore(db), clock.now), replayGuard: new SqliteAssertionIdStore(db), tokenUrl: TOKEN_URL, now: clock.now, clockSkewSeconds: 60 };
    const unknown = await signed({ iss: 'ghost', sub: 'ghost' }, strangerKey);
    const badSignature = await signed({}, strangerKey);
    const time = async (assertion: string): Promise<number> => {
      const start = process.hrtime.bigint();
      await verifyClientAssertion(assertion, config).catch(() => undefined);
      return Number(process.hrtime.bigint() - start);
    };
    const median = (values: number[]): number => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    await time(unknown);
    await time(badSignature);
    const unknownTimes: number[] = [];
    const badTimes: number[] = [];
    for (let i = 0; i < 40; i++) {
      unknownTimes.push(await time(unknown));
      badTimes.push(await time(badSignature));
    }
    // Without the decoy check an unknown client answers in microseconds and a P-384 signature
    // check takes hundreds of them: a ratio near 0.05. Interleaved medians keep the machine's
    // load out of the comparison.
    const ratio = median(unknownTimes) / median(badTimes);
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(2);
  });

  it('refuses an assertion whose iat is more than the clock skew (60 s) ahead, and accepts one within it', async () => {
    const seconds = Math.floor(clock.ms / 1000);
    const ahead = await postToken(app, tokenForm(await signed({ iat: seconds + 120 }), 'system/Patient.rs'));
    expect(ahead.status).toBe(401);
    expect(ahead.body.error_description).toMatch(/iat is in the future/);
    const withinSkew = await postToken(app, tokenForm(await signed({ iat: seconds + 30 }), 'system/Patient.rs'));
    expect(withinSkew.status).toBe(200);
    const notANumber = await postToken(app, tokenForm(await signed({ iat: 'yesterday' }), 'system/Patient.rs'));
    expect(notANumber.status).toBe(401);
  });
});
