// The behaviour every ConsentPort implementation must show, as one reusable vitest suite. Each
// ledger's test file calls describeConsentPort with a factory for a port that signs as an active
// HOSPITAL member holding the EMERGENCY role. Patients are fresh random keys, so the suite also
// runs against a long-lived consortium. The signatures are the consent protocol's own (EIP-712,
// gateway/consent/typed-data.ts), whichever ledger records them.
import { randomBytes } from 'node:crypto';
import { Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSENT_TYPES, REVOCATION_TYPES, type ConsentMessage, consentDigest, contractTerms, typedDomain } from '../consent/typed-data.js';
import { ConsentRejectedError } from './consent-errors.js';
import type { ConsentPort, Hex } from './ports.js';

export interface ConsentPortUnderTest {
  port: ConsentPort;
  /** The member id of the member the port signs for (HOSPITAL and EMERGENCY). */
  self: Hex;
  /** The member id of another active member, the grantee. */
  grantee: Hex;
  close(): Promise<void>;
}

const ZERO = `0x${'0'.repeat(64)}` as Hex;
const randomHash = () => `0x${randomBytes(32).toString('hex')}` as Hex;

export function describeConsentPort(name: string, connect: () => Promise<ConsentPortUnderTest>): void {
  describe(`ConsentPort behaviour: ${name}`, () => {
    let subject: ConsentPortUnderTest;
    let port: ConsentPort;

    beforeAll(async () => {
      subject = await connect();
      port = subject.port;
    });
    afterAll(async () => subject?.close());

    const domain = () => typedDomain({ chainId: port.chainId, verifyingContract: port.contract });
    const newPatient = () => new Wallet(Wallet.createRandom().privateKey);
    const consent = async (patient: Wallet, overrides: Partial<ConsentMessage> = {}): Promise<ConsentMessage> => {
      const now = Math.floor(Date.now() / 1000);
      return {
        patient: patient.address.toLowerCase() as Hex,
        granteeMember: subject.grantee,
        granteePractitioner: ZERO,
        actions: ['access'],
        categories: ['Observation'],
        purposes: 1,
        notBefore: now - 60,
        notAfter: now + 3600,
        nonce: await port.nonceOf(patient.address.toLowerCase() as Hex),
        ...overrides,
      };
    };
    const sign = async (patient: Wallet, message: ConsentMessage) => (await patient.signTypedData(domain(), CONSENT_TYPES, message)) as Hex;
    const grant = async (patient: Wallet, overrides: Partial<ConsentMessage> = {}) => {
      const message = await consent(patient, overrides);
      return { message, granted: await port.grant(contractTerms(message), await sign(patient, message)) };
    };
    const rejection = (promise: Promise<unknown>) => promise.then(() => null, (e: unknown) => e);

    it('starts a new patient at nonce 0 and advances it with each signed consent', async () => {
      const patient = newPatient();
      expect(await port.nonceOf(patient.address.toLowerCase() as Hex)).toBe(0n);
      await grant(patient);
      expect(await port.nonceOf(patient.address.toLowerCase() as Hex)).toBe(1n);
    });

    it('records a grant under its EIP-712 digest and reads it back as recorded', async () => {
      const { message, granted } = await grant(newPatient(), { purposes: 1 | 4 });
      const grantId = consentDigest({ chainId: port.chainId, verifyingContract: port.contract }, message);
      expect(granted.grant).toMatchObject({
        grantId,
        patient: message.patient,
        granteeMember: subject.grantee,
        granteePractitioner: ZERO,
        purposes: 5,
        notBefore: message.notBefore,
        notAfter: message.notAfter,
        recordedBy: subject.self,
        revokedAt: null,
      });
      expect(granted.txHash).toMatch(/^0x[0-9a-f]{64}$/);
      expect(granted.blockNumber).toBeGreaterThan(0);
      expect(await port.getGrant(grantId)).toEqual(granted.grant);
      expect(await port.getGrant(randomHash())).toBeNull();
    });

    it('revokes with the patient\'s signed revocation, at the block time of the revocation', async () => {
      const patient = newPatient();
      const { granted } = await grant(patient);
      const { grantId } = granted.grant;
      const nonce = await port.nonceOf(granted.grant.patient);
      const revoked = await port.revokeWithSignature(grantId, nonce, (await patient.signTypedData(domain(), REVOCATION_TYPES, { grantId, nonce })) as Hex);
      expect((await port.getGrant(grantId))!.revokedAt).toBe(revoked.blockTime);
      expect(await port.nonceOf(granted.grant.patient)).toBe(nonce + 1n);

      const again = await rejection(port.revokeWithSignature(grantId, nonce + 1n, (await patient.signTypedData(domain(), REVOCATION_TYPES, { grantId, nonce: nonce + 1n })) as Hex));
      expect(again).toBeInstanceOf(ConsentRejectedError);
      expect(again).toMatchObject({ reason: 'AlreadyRevoked', args: [grantId, BigInt(revoked.blockTime)] });
    });

    it('replays grants, revocations and break-glass reads as events, in chain order', async () => {
      const from = (await port.latestBlock()) + 1;
      const patient = newPatient();
      const { granted } = await grant(patient);
      const { grantId } = granted.grant;
      const nonce = await port.nonceOf(granted.grant.patient);
      const revoked = await port.revokeWithSignature(grantId, nonce, (await patient.signTypedData(domain(), REVOCATION_TYPES, { grantId, nonce })) as Hex);
      const reasonHash = randomHash();
      const emergency = await port.recordEmergencyAccess(subject.self, granted.grant.patient, reasonHash);
      const events = await port.events(from, await port.latestBlock());
      expect(events.map((e) => e.kind)).toEqual(['granted', 'revoked', 'emergency']);
      expect(events[0]).toMatchObject({ kind: 'granted', grant: granted.grant, txHash: granted.txHash, blockTime: granted.blockTime });
      expect(events[1]).toMatchObject({ kind: 'revoked', grantId, patient: granted.grant.patient, txHash: revoked.txHash, blockTime: revoked.blockTime });
      expect(events[2]).toMatchObject({ kind: 'emergency', accessor: subject.self, patient: granted.grant.patient, reasonHash, txHash: emergency.txHash });
      expect(await port.events(from, from - 1)).toEqual([]);
    });

    it('refuses a consent signed by someone else, a used nonce and an unknown grantee, with the reason and its arguments', async () => {
      const patient = newPatient();
      const message = await consent(patient);
      const forged = await rejection(port.grant(contractTerms(message), await sign(newPatient(), message)));
      expect(forged).toBeInstanceOf(ConsentRejectedError);
      expect((forged as ConsentRejectedError).reason).toBe('InvalidSignature');

      await grant(patient);
      const replay = await rejection(port.grant(contractTerms(message), await sign(patient, message)));
      expect(replay).toMatchObject({ reason: 'InvalidNonce' });
      expect((replay as ConsentRejectedError).args.map((a) => (typeof a === 'string' ? a.toLowerCase() : a))).toEqual([message.patient, 1n, 0n]);

      const stranger = randomHash();
      const unknown = await consent(patient, { granteeMember: stranger });
      expect(await rejection(port.grant(contractTerms(unknown), await sign(patient, unknown)))).toMatchObject({ reason: 'UnknownGrantee', args: [stranger] });
    });
  });
}
