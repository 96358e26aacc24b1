import { Wallet, keccak256, toUtf8Bytes } from 'ethers';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Hex, Member, MemberPort } from '../ledger/ports.js';
import { openConsentTables } from '../store/consent-store.js';
import { openDatabase } from '../store/database.js';
import { Vault } from '../store/vault.js';
import { MemberAuthenticator } from './member-authenticator.js';
import { MemberDirectory } from './member-directory.js';
import { type MemberJwtClaims, isMemberJwt, parseMemberJwt, signMemberJwt, signedByKid } from './member-jwt.js';

const signer = new Wallet(Wallet.createRandom().privateKey);
const stranger = new Wallet(Wallet.createRandom().privateKey);
const memberId = keccak256(toUtf8Bytes('hospital-b')) as Hex;
const AUD = 'http://127.0.0.1:9999';

/** A ConsortiumRegistry as a table: MemberPort is the edge the authenticator reads through. */
const registry: MemberPort = {
  async getMember(address) {
    if (address !== signer.address.toLowerCase()) return null;
    const member: Member = { orgId: 'hospital-b', roles: 1, signers: [address], active: true };
    return { ...member, memberId };
  },
  async hasRole() {
    return false;
  },
  async getMemberById(id) {
    return id === memberId ? { orgId: 'hospital-b', roles: 1, signers: [signer.address.toLowerCase() as Hex], active: true } : null;
  },
  async listMembers() {
    return [{ memberId, orgId: 'hospital-b', roles: 1, signers: [signer.address.toLowerCase() as Hex], active: true }];
  },
};

describe('member JWTs (ES256K)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'careledger-jwt-'));
  const db = openDatabase(join(dir, 'node.db'));
  const auth = new MemberAuthenticator({ jtis: openConsentTables(db, new Vault(db, randomBytes(32))).memberJtis, directory: new MemberDirectory(registry), audiences: [AUD, `${AUD}/fhir`] });
  afterAll(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  let n = 0;
  const claims = (overrides: Partial<MemberJwtClaims> = {}): MemberJwtClaims => {
    const now = Math.floor(Date.now() / 1000);
    return { iss: 'hospital-b', sub: 'dr-bob', aud: AUD, iat: now, exp: now + 60, jti: `jti-${Date.now()}-${n++}`, purpose: 'TREAT', ...overrides };
  };
  const bearer = (token: string) => `Bearer ${token}`;

  it('signs a compact JWS whose signature recovers to the kid', () => {
    const token = signMemberJwt(signer.privateKey, claims());
    expect(isMemberJwt(token)).toBe(true);
    const parsed = parseMemberJwt(token)!;
    expect(parsed.kid).toBe(signer.address.toLowerCase());
    expect(signedByKid(parsed)).toBe(true);
    expect(signedByKid({ ...parsed, signingInput: `${parsed.signingInput}x` })).toBe(false);
    expect(isMemberJwt('clp_abc')).toBe(false);
  });

  it('authenticates a member practitioner by org id or member id, once per jti', async () => {
    const token = signMemberJwt(signer.privateKey, claims());
    const principal = await auth.authenticate(bearer(token));
    expect(principal).toMatchObject({ kind: 'member', memberId, orgId: 'hospital-b', practitionerId: 'dr-bob', purpose: 'TREAT' });
    await expect(auth.authenticate(bearer(token))).rejects.toThrow(/already used/);
    await expect(auth.authenticate(bearer(signMemberJwt(signer.privateKey, claims({ iss: memberId }))))).resolves.toMatchObject({ memberId });
  });

  it('refuses what it must', async () => {
    const cases: Array<[string, string | RegExp]> = [
      [signMemberJwt(stranger.privateKey, claims()), /not a signer of an active consortium member/],
      [signMemberJwt(signer.privateKey, claims({ iss: 'hospital-c' })), /does not act for issuer/],
      [signMemberJwt(signer.privateKey, claims({ aud: 'http://elsewhere' })), /not addressed to this node/],
      [signMemberJwt(signer.privateKey, claims({ exp: Math.floor(Date.now() / 1000) - 120 })), /expired/],
      [signMemberJwt(signer.privateKey, claims({ exp: Math.floor(Date.now() / 1000) + 3600 })), /at most 300/],
      [signMemberJwt(signer.privateKey, claims({ purpose: 'MARKETING' as never })), /PurposeOfUse/],
      [signMemberJwt(signer.privateKey, claims({ jti: 'short' })), /jti/],
      [signMemberJwt(signer.privateKey, claims({ sub: '' })), /sub/],
    ];
    for (const [token, message] of cases) await expect(auth.authenticate(bearer(token))).rejects.toThrow(message);
    const good = signMemberJwt(signer.privateKey, claims());
    const [header, payload] = good.split('.');
    const swapped = `${header}.${payload}.${signMemberJwt(stranger.privateKey, claims()).split('.')[2]}`;
    await expect(auth.authenticate(bearer(swapped))).rejects.toThrow(/signature does not match/);
    await expect(auth.authenticate('Bearer not.a.jwt')).rejects.toThrow(/malformed/);
  });
});
