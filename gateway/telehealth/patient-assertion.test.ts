import { Wallet } from 'ethers';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isMemberJwt, signMemberJwt } from '../consent/member-jwt.js';
import { memberIdOf } from '../crypto/digest.js';
import { MemberRole, type Hex } from '../ledger/ports.js';
import { PatientAssertionVerifier, isPatientAssertion, signPatientAssertion } from './patient-assertion.js';

const HOME = memberIdOf('assert-home');
const home = Wallet.createRandom();
const payer = Wallet.createRandom();
const HOST = 'http://127.0.0.1:9999';
const PATIENT = '0x6666666666666666666666666666666666666666' as Hex;
const NOW = 1_900_000_000_000;

// The registry's answer for each signer, as MemberDirectory gives it.
const directory = {
  async memberOf(signer: Hex) {
    if (signer === home.address.toLowerCase()) return { memberId: HOME, orgId: 'assert-home', roles: MemberRole.HOSPITAL, signers: [signer], active: true };
    if (signer === payer.address.toLowerCase()) return { memberId: memberIdOf('assert-payer'), orgId: 'assert-payer', roles: MemberRole.PAYER, signers: [signer], active: true };
    return null;
  },
};

const verifier = new PatientAssertionVerifier(directory, [HOST], () => NOW);
const sign = (key: { privateKey: string }, overrides: { audience?: string; lifetimeSeconds?: number; now?: number; homeMember?: Hex } = {}) =>
  signPatientAssertion(key.privateKey, { homeMember: overrides.homeMember ?? HOME, patientAddress: PATIENT, audience: overrides.audience ?? HOST, lifetimeSeconds: overrides.lifetimeSeconds ?? 300, now: overrides.now ?? NOW }).token;

describe('patient sessions from the home hospital', () => {
  it('names the patient by address for the host, signed by an active hospital member', async () => {
    const token = sign(home);
    expect(isPatientAssertion(token)).toBe(true);
    expect(await verifier.verify(token)).toEqual({ ok: true, patientAddress: PATIENT, homeMember: HOME, expiresAt: NOW / 1000 + 300 });
  });

  it('refuses another audience, an expired one, a non-hospital or unknown signer, and a signer acting for another member', async () => {
    expect(await verifier.verify(sign(home, { audience: 'http://elsewhere' }))).toMatchObject({ ok: false, detail: expect.stringMatching(/another hospital/) });
    expect(await verifier.verify(sign(home, { now: NOW - 400_000 }))).toMatchObject({ ok: false, detail: expect.stringMatching(/expired/) });
    expect(await verifier.verify(sign(payer, { homeMember: memberIdOf('assert-payer') }))).toMatchObject({ ok: false, detail: expect.stringMatching(/not a signer of an active hospital/) });
    expect(await verifier.verify(sign(Wallet.createRandom()))).toMatchObject({ ok: false });
    expect(await verifier.verify(sign(home, { homeMember: memberIdOf('someone-else') }))).toMatchObject({ ok: false, detail: expect.stringMatching(/does not act for its issuer/) });
  });

  it('is never taken for a practitioner\'s member JWT, nor a member JWT for a patient session', async () => {
    const memberJwt = signMemberJwt(home.privateKey, { iss: HOME, sub: 'dr-x', aud: HOST, iat: NOW / 1000, exp: NOW / 1000 + 60, jti: randomUUID(), purpose: 'TREAT' });
    expect(isPatientAssertion(memberJwt)).toBe(false);
    expect(await verifier.verify(memberJwt)).toMatchObject({ ok: false });
    // It is shaped like a member JWT, but carries no purpose: the member authenticator refuses it.
    expect(isMemberJwt(sign(home))).toBe(true);
  });

  it('caps its lifetime at 10 minutes', async () => {
    const token = sign(home, { lifetimeSeconds: 3600 });
    expect(await verifier.verify(token)).toMatchObject({ ok: true, expiresAt: NOW / 1000 + 600 });
  });
});
