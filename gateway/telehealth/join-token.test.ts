import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, decodeJwt, decodeProtectedHeader } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../store/database.js';
import { SqliteJoinTokenIds } from '../store/join-token-store.js';
import { JoinTokens, deriveJoinTokenKey } from './join-token.js';
import type { Participant } from './ports.js';

const SESSION = 'sess_4f1c2b7a9d0e8f3a6b5c';
const OTHER_SESSION = 'sess_00000000000000000000';
const MEMBER = `0x${'ab'.repeat(32)}` as const;
const provider: Participant = { participantId: 'p-provider', role: 'provider', member: MEMBER, permissions: { publish: true, chat: true } };

describe('join tokens', () => {
  let dir: string;
  let db: Db;
  let clock: number;
  const masterKey = randomBytes(32);
  const tokensOn = (database: Db, ttlSeconds?: number) =>
    new JoinTokens({
      key: deriveJoinTokenKey(masterKey),
      issuer: 'https://host.example',
      audience: 'https://host.example/telehealth',
      ids: new SqliteJoinTokenIds(database),
      ttlSeconds,
      now: () => clock,
    });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'careledger-join-token-'));
    db = openDatabase(join(dir, 'node.db'));
    clock = Date.UTC(2026, 11, 7, 20, 0, 0);
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('issues a 5-minute EdDSA token bound to session, participant, role, permissions and relay, and redeems it once', async () => {
    const tokens = tokensOn(db);
    const issued = await tokens.issue(SESSION, provider);
    expect(decodeProtectedHeader(issued.token)).toEqual({ alg: 'EdDSA', typ: 'careledger-telehealth-join+jwt' });
    const claims = decodeJwt(issued.token);
    expect(claims).toMatchObject({
      iss: 'https://host.example',
      aud: 'https://host.example/telehealth',
      sub: 'p-provider',
      sid: SESSION,
      role: 'provider',
      member: MEMBER,
      perm: { publish: true, chat: true },
      jti: issued.jti,
    });
    expect(claims.exp! - claims.iat!).toBe(300);

    const redeemed = await tokens.redeem(issued.token, SESSION);
    expect(redeemed).toEqual({ ok: true, claims: { sessionId: SESSION, participant: provider, jti: issued.jti, expiresAt: issued.expiresAt } });
    expect(await tokens.redeem(issued.token, SESSION)).toMatchObject({ ok: false, refusal: 'replayed' });
  });

  it('keeps a redeemed jti across a restart (a reopened database refuses the replay)', async () => {
    const issued = await tokensOn(db).issue(SESSION, provider);
    expect((await tokensOn(db).redeem(issued.token, SESSION)).ok).toBe(true);
    db.close();
    db = openDatabase(join(dir, 'node.db'));
    expect(await tokensOn(db).redeem(issued.token, SESSION)).toMatchObject({ ok: false, refusal: 'replayed' });
  });

  it('lets exactly one of two simultaneous redemptions of one token through', async () => {
    const tokens = tokensOn(db);
    const issued = await tokens.issue(SESSION, provider);
    const results = await Promise.all([tokens.redeem(issued.token, SESSION), tokens.redeem(issued.token, SESSION)]);
    expect(results.filter((result) => result.ok)).toHaveLength(1);
  });

  it('refuses a token for another session without consuming it', async () => {
    const tokens = tokensOn(db);
    const issued = await tokens.issue(SESSION, provider);
    expect(await tokens.redeem(issued.token, OTHER_SESSION)).toMatchObject({ ok: false, refusal: 'other-session' });
    expect((await tokens.redeem(issued.token, SESSION)).ok).toBe(true);
  });

  it('refuses an expired token past the 5 s clock skew, and accepts one within it', async () => {
    const tokens = tokensOn(db, 60);
    const late = await tokens.issue(SESSION, provider);
    const onTime = await tokens.issue(SESSION, { ...provider, participantId: 'p-2' });
    clock += 64_000;
    expect((await tokens.redeem(onTime.token, SESSION)).ok).toBe(true);
    clock += 2_000;
    expect(await tokens.redeem(late.token, SESSION)).toMatchObject({ ok: false, refusal: 'expired' });
    expect(db.prepare('SELECT jti FROM telehealth_join_jti WHERE jti = ?').get(late.jti)).toBeUndefined();
  });

  it('refuses a token of another host key, another audience, or a notification token on the socket', async () => {
    const tokens = tokensOn(db);
    const otherHost = new JoinTokens({ key: deriveJoinTokenKey(randomBytes(32)), issuer: 'https://host.example', audience: 'https://host.example/telehealth', ids: new SqliteJoinTokenIds(db), now: () => clock });
    expect(await tokens.redeem((await otherHost.issue(SESSION, provider)).token, SESSION)).toMatchObject({ ok: false, refusal: 'bad-signature' });

    const otherRelay = new JoinTokens({ key: deriveJoinTokenKey(masterKey), issuer: 'https://host.example', audience: 'https://elsewhere.example/telehealth', ids: new SqliteJoinTokenIds(db), now: () => clock });
    expect(await tokens.redeem((await otherRelay.issue(SESSION, provider)).token, SESSION)).toMatchObject({ ok: false, refusal: 'wrong-audience' });

    const notify = await tokens.issueNotificationToken(SESSION, provider);
    expect(await tokens.redeem(notify.token, SESSION)).toMatchObject({ ok: false, refusal: 'wrong-kind' });
    expect(await tokens.verifyNotificationToken((await tokens.issue(SESSION, provider)).token, SESSION)).toMatchObject({ ok: false, refusal: 'wrong-kind' });
    expect(await tokens.redeem('not.a.token', SESSION)).toMatchObject({ ok: false, refusal: 'malformed' });
    expect(db.prepare('SELECT COUNT(*) AS n FROM telehealth_join_jti').get()).toEqual({ n: 0 });
  });

  it('refuses a token signed by the host key that claims a lifetime beyond 10 minutes, or lacks a valid role', async () => {
    const tokens = tokensOn(db);
    const key = deriveJoinTokenKey(masterKey);
    const forge = (claims: Record<string, unknown>, iat: number, exp: number) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'EdDSA', typ: 'careledger-telehealth-join+jwt' })
        .setIssuer('https://host.example')
        .setAudience('https://host.example/telehealth')
        .setSubject('p-provider')
        .setJti('forged')
        .setIssuedAt(iat)
        .setExpirationTime(exp)
        .sign(key);
    const now = Math.floor(clock / 1000);
    const good = { sid: SESSION, role: 'provider', member: MEMBER, perm: { publish: true, chat: true } };
    expect(await tokens.redeem(await forge(good, now - 700, now + 60), SESSION)).toMatchObject({ ok: false, refusal: 'expired' });
    expect(await tokens.redeem(await forge({ ...good, role: 'admin' }, now, now + 60), SESSION)).toMatchObject({ ok: false, refusal: 'malformed' });
    expect(await tokens.redeem(await forge({ ...good, perm: { publish: 'yes' } }, now, now + 60), SESSION)).toMatchObject({ ok: false, refusal: 'malformed' });
  });

  it('never grants an observer publishing, whatever the token carries', async () => {
    const tokens = tokensOn(db);
    const observer: Participant = { participantId: 'p-obs', role: 'observer', member: MEMBER, permissions: { publish: true, chat: false } };
    const redeemed = await tokens.redeem((await tokens.issue(SESSION, observer)).token, SESSION);
    expect(redeemed.ok && redeemed.claims.participant.permissions).toEqual({ publish: false, chat: false });
  });

  it('caps lifetimes at 10 minutes and refuses bad ids, keys and lifetimes at issue', async () => {
    expect(() => tokensOn(db, 601)).toThrow(/1 to 600 seconds/);
    const tokens = tokensOn(db, 600);
    const issued = await tokens.issue(SESSION, provider);
    expect(issued.expiresAt - Math.floor(clock / 1000)).toBe(600);
    await expect(tokens.issue(SESSION, provider, 900)).rejects.toThrow(/1 to 600 seconds/);
    expect((await tokens.issue(SESSION, provider, 30)).expiresAt - Math.floor(clock / 1000)).toBe(30);
    await expect(tokens.issue('short', provider)).rejects.toThrow(/session id/);
    await expect(tokens.issue(SESSION, { ...provider, participantId: 'a:b' })).rejects.toThrow(/participant id/);
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(() => new JoinTokens({ key: privateKey, issuer: 'i', audience: 'a', ids: new SqliteJoinTokenIds(db) })).toThrow(/Ed25519/);
  });

  it('derives the same key from the same master key, a different one from another', () => {
    const a = deriveJoinTokenKey(masterKey).export({ format: 'jwk' });
    expect(deriveJoinTokenKey(Buffer.from(masterKey)).export({ format: 'jwk' })).toEqual(a);
    expect(deriveJoinTokenKey(randomBytes(32)).export({ format: 'jwk' })).not.toEqual(a);
  });

  it('forgets jtis of expired tokens once a minute', async () => {
    const tokens = tokensOn(db, 60);
    await tokens.redeem((await tokens.issue(SESSION, provider)).token, SESSION);
    clock += 120_000;
    await tokens.redeem((await tokens.issue(SESSION, provider)).token, SESSION);
    expect(db.prepare('SELECT COUNT(*) AS n FROM telehealth_join_jti').get()).toEqual({ n: 1 });
  });
});
