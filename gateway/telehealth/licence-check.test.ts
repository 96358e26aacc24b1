import { Wallet } from 'ethers';
import { beforeAll, describe, expect, it } from 'vitest';
import { deployedOnce, useEmbeddedChain } from '../../test/support/chain-fixture.js';
import { EvmLicencePort } from '../ledger/evm/licence-port.js';
import { EvmMemberPort } from '../ledger/evm/member-port.js';
import { TxSender } from '../ledger/evm/tx-sender.js';
import type { Hex } from '../ledger/ports.js';
import { LicenceCheck, licenceValidOn } from './licence-check.js';
import {
  SPECIALTY_SYSTEMS,
  issueLicenceCredential,
  licenceNumberHash,
  verifyLicenceCredential,
  type LicenceCredential,
  type LicenceDomain,
} from './licence-credential.js';

const fixture = useEmbeddedChain();
const consortium = deployedOnce(fixture, [
  { orgId: 'medical-board', roles: ['LICENSING'] },
  { orgId: 'hospital-b', roles: ['HOSPITAL'] },
]);

describe('LicenceCheck on LicenceRegistry', () => {
  let board: EvmLicencePort;
  let check: LicenceCheck;
  let reader: EvmLicencePort;
  let domain: LicenceDomain;
  let boardKey: string;
  let hospitalKey: string;
  let boardMember: Hex;

  beforeAll(async () => {
    const { chain, provider } = fixture();
    const deployed = await consortium();
    const address = deployed.contracts.LicenceRegistry!;
    boardKey = chain.accounts[1]!.privateKey;
    hospitalKey = chain.accounts[2]!.privateKey;
    board = new EvmLicencePort(address, provider, new TxSender(new Wallet(boardKey, provider), provider, chain.chainId, { gasPrice: 0n, confirmTimeoutMs: 30_000 }));
    reader = new EvmLicencePort(address, provider, null);
    const members = new EvmMemberPort(deployed.contracts.ConsortiumRegistry, provider);
    check = new LicenceCheck(reader, members, chain.chainId);
    domain = check.domain;
    boardMember = (await members.getMember(chain.accounts[1]!.address.toLowerCase() as Hex))!.memberId;
  });

  const chainNow = async () => (await fixture().provider.getBlock('latest'))!.timestamp;
  const at = (seconds: number) => new Date(seconds * 1000);
  const newPractitioner = () => Wallet.createRandom().address.toLowerCase() as Hex;

  function credentialFor(subject: Hex, window: { from: number; until: number }, signerKey = boardKey, inDomain = domain): LicenceCredential {
    return issueLicenceCredential(signerKey, 'medical-board', inDomain, {
      subject,
      jurisdiction: 'US-MA',
      degree: 'MD',
      specialties: [{ system: SPECIALTY_SYSTEMS.nucc, code: '207RC0000X' }],
      licenseNumberHash: licenceNumberHash('MA-229104').hash,
      validFrom: window.from,
      validUntil: window.until,
    });
  }

  async function registered(subject: Hex, window?: { from: number; until: number }) {
    const t = await chainNow();
    const { from, until } = window ?? { from: t - 60, until: t + 86_400 };
    const credential = credentialFor(subject, { from, until });
    const hash = verifyLicenceCredential(credential, domain).credentialHash;
    const issued = await board.issue(hash, subject, from, until);
    return { credential, hash, issued };
  }

  it('passes a registered licence of an active LICENSING member, presented or looked up by key', async () => {
    const subject = newPractitioner();
    const { credential, hash, issued } = await registered(subject);
    const now = at(await chainNow());
    const pass = { ok: true, credentialHash: hash, issuerMember: boardMember, validFrom: issued.licence.validFrom, validUntil: issued.licence.validUntil };
    expect(await check.check(subject, now, credential)).toEqual(pass);
    expect(await check.check(subject, now)).toEqual(pass);
    expect(await check.check(subject.toUpperCase().replace('0X', '0x') as Hex, now, JSON.parse(JSON.stringify(credential)))).toEqual(pass);
  });

  it('refuses a tampered credential, a wrong subject and one signed for another registry', async () => {
    const subject = newPractitioner();
    const { credential } = await registered(subject);
    const now = at(await chainNow());
    const tampered = structuredClone(credential);
    tampered.credentialSubject.jurisdiction = 'US-NY';
    expect(await check.check(subject, now, tampered)).toMatchObject({ ok: false, refusal: 'bad-signature' });
    expect(await check.check(newPractitioner(), now, credential)).toMatchObject({ ok: false, refusal: 'subject-mismatch', detail: expect.stringContaining(subject) });
    const foreign = credentialFor(subject, { from: now.getTime() / 1000 - 60, until: now.getTime() / 1000 + 3600 }, boardKey, { ...domain, verifyingContract: `0x${'cd'.repeat(20)}` });
    expect(await check.check(subject, now, foreign)).toMatchObject({ ok: false, refusal: 'wrong-registry' });
    expect(await check.check(subject, now, { hello: 'world' })).toMatchObject({ ok: false, refusal: 'malformed' });
  });

  it('refuses a credential signed by a HOSPITAL-only member, and one never registered', async () => {
    const subject = newPractitioner();
    const t = await chainNow();
    const byHospital = credentialFor(subject, { from: t - 60, until: t + 3600 }, hospitalKey);
    expect(await check.check(subject, at(t), byHospital)).toMatchObject({ ok: false, refusal: 'issuer-not-licensing' });
    const unregistered = credentialFor(subject, { from: t - 60, until: t + 3600 });
    expect(await check.check(subject, at(t), unregistered)).toMatchObject({ ok: false, refusal: 'no-licence', detail: expect.stringContaining('careledger licence issue') });
    expect(await check.check(subject, at(t))).toMatchObject({ ok: false, refusal: 'no-licence' });
  });

  it('refuses a revoked licence for good, while a payer still sees it held before the revocation', async () => {
    const subject = newPractitioner();
    const { credential, hash } = await registered(subject);
    const before = await chainNow();
    // Passed once (its signature now remembered), then revoked: the registry is read again.
    expect(await check.check(subject, at(before), credential)).toMatchObject({ ok: true });
    const revoked = await board.revoke(hash);
    expect(await check.check(subject, at(revoked.blockTime), credential)).toMatchObject({ ok: false, refusal: 'revoked' });
    expect(await check.check(subject, at(before), credential)).toMatchObject({ ok: false, refusal: 'revoked' });
    expect(await check.check(subject, at(revoked.blockTime))).toMatchObject({ ok: false, refusal: 'revoked' });

    const then = await licenceValidOn(reader, subject, at(before - 1));
    expect(then).toMatchObject({ valid: true, revokedSince: true, licence: { credentialHash: hash, revokedAt: revoked.blockTime } });
    expect(await licenceValidOn(reader, subject, at(revoked.blockTime + 1))).toMatchObject({ valid: false, revokedSince: false });
  });

  it('refuses outside the validity window: expired and not yet valid', async () => {
    const subject = newPractitioner();
    const t = await chainNow();
    const { credential } = await registered(subject, { from: t - 60, until: t + 600 });
    expect(await check.check(subject, at(t + 600), credential)).toMatchObject({ ok: false, refusal: 'expired', detail: expect.stringMatching(/expired at \d{4}-/) });
    expect(await check.check(subject, at(t + 599), credential)).toMatchObject({ ok: true });

    const later = newPractitioner();
    const { credential: future } = await registered(later, { from: t + 3600, until: t + 7200 });
    expect(await check.check(later, at(t), future)).toMatchObject({ ok: false, refusal: 'not-yet-valid' });
    expect(await check.check(later, at(t + 3600), future)).toMatchObject({ ok: true });
  });

  it('without a credential, any standing licence of the key will do, and the newest explains a refusal', async () => {
    const subject = newPractitioner();
    const t = await chainNow();
    const old = await registered(subject, { from: t - 60, until: t + 600 });
    const current = await registered(subject, { from: t - 60, until: t + 86_400 });
    expect(await check.check(subject, at(t + 700))).toMatchObject({ ok: true, credentialHash: current.hash });
    await board.revoke(current.hash);
    expect(await check.check(subject, at(t + 10))).toMatchObject({ ok: true, credentialHash: old.hash });
    expect(await check.check(subject, at(t + 700))).toMatchObject({ ok: false, refusal: 'revoked' });
  });

  it('answers a payer for a date of service, taking a calendar date as its UTC day', async () => {
    const subject = newPractitioner();
    const t = await chainNow();
    const day = new Date(t * 1000).toISOString().slice(0, 10);
    await registered(subject, { from: t - 60, until: t + 600 });
    expect(await licenceValidOn(reader, subject, day)).toMatchObject({ valid: true, revokedSince: false });
    expect(await licenceValidOn(reader, subject, '2000-01-01')).toMatchObject({ valid: false, licence: { subject } });
    expect(await licenceValidOn(reader, newPractitioner(), day)).toEqual({ valid: false, licence: null, revokedSince: false });
    await expect(licenceValidOn(reader, subject, '2026-02-30')).rejects.toThrow(/calendar date/);
  });
});
