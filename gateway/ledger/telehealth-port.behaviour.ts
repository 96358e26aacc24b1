// The behaviour every TelehealthPort implementation must show, as one reusable vitest suite. Each
// ledger's test file calls describeTelehealthPort with a port signing as an active HOSPITAL member
// (the host), the ConsentPort of the same node (to record the grants sessions rely on) and a port
// signing as another hospital. Patients and session ids are fresh random values, so the suite also
// runs against a long-lived consortium.
import { randomBytes } from 'node:crypto';
import { Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSENT_TYPES, REVOCATION_TYPES, type ConsentMessage, contractTerms, typedDomain } from '../consent/typed-data.js';
import type { ConsentPort, Hex, TelehealthPort } from './ports.js';
import { TelehealthFinalState, TelehealthInviteRole } from './ports.js';
import { TelehealthRejectedError } from './telehealth-errors.js';

export interface TelehealthPortUnderTest {
  /** Signs as a signer of the host, an active HOSPITAL member. */
  host: TelehealthPort;
  hostMember: Hex;
  /** The host node's consent port, for the grants (patient -> host, TREAT) sessions rely on. */
  consents: ConsentPort;
  /** The patient's home member: another active HOSPITAL member, also the one invited. */
  otherHospital: Hex;
  /** The same registry, signing as `otherHospital`. */
  other: TelehealthPort;
  /** The LicenceRegistry the registry was deployed with. */
  licenceRegistry: Hex;
  close(): Promise<void>;
}

const randomHash = () => `0x${randomBytes(32).toString('hex')}` as Hex;
const rejection = (promise: Promise<unknown>) => promise.then(() => null, (e: unknown) => e);

export function describeTelehealthPort(name: string, connect: () => Promise<TelehealthPortUnderTest>): void {
  describe(`TelehealthPort behaviour: ${name}`, () => {
    let subject: TelehealthPortUnderTest;
    let host: TelehealthPort;

    beforeAll(async () => {
      subject = await connect();
      host = subject.host;
    });
    afterAll(async () => subject?.close());

    const domain = () => typedDomain({ chainId: subject.consents.chainId, verifyingContract: subject.consents.contract });

    /** A patient with a recorded TREAT grant to `grantee` (the host by default). */
    async function patientWithGrant(grantee = subject.hostMember): Promise<{ wallet: Wallet; patient: Hex; grantId: Hex }> {
      const wallet = new Wallet(Wallet.createRandom().privateKey);
      const patient = wallet.address.toLowerCase() as Hex;
      const now = Math.floor(Date.now() / 1000);
      const message: ConsentMessage = {
        patient,
        granteeMember: grantee,
        granteePractitioner: `0x${'0'.repeat(64)}`,
        actions: ['access'],
        categories: ['Encounter'],
        purposes: 1,
        notBefore: now - 60,
        notAfter: now + 3600,
        nonce: await subject.consents.nonceOf(patient),
      };
      const granted = await subject.consents.grant(contractTerms(message), (await wallet.signTypedData(domain(), CONSENT_TYPES, message)) as Hex);
      return { wallet, patient, grantId: granted.grant.grantId };
    }

    async function openSession(): Promise<{ sessionIdHash: Hex; patient: Hex; grantId: Hex; openedAt: number }> {
      const { patient, grantId } = await patientWithGrant();
      const sessionIdHash = randomHash();
      const tx = await host.openSession({ sessionIdHash, homeMember: subject.otherHospital, patient, consentGrantId: grantId });
      return { sessionIdHash, patient, grantId, openedAt: tx.blockTime };
    }

    it('opens a session on the patient\'s TREAT grant to the host and reads it back', async () => {
      const { sessionIdHash, patient, grantId, openedAt } = await openSession();
      expect(await host.getSession(sessionIdHash)).toEqual({
        sessionIdHash,
        hostMember: subject.hostMember,
        homeMember: subject.otherHospital,
        patient,
        consentGrantId: grantId,
        openedAt,
        closedAt: null,
        finalState: null,
        eventLogRoot: null,
      });
      expect(await host.getSession(randomHash())).toBeNull();
      expect(await host.licenceRegistry()).toBe(subject.licenceRegistry);
    });

    it('holds invitations until they are withdrawn, with their role', async () => {
      const { sessionIdHash } = await openSession();
      const specialist = randomHash();
      await host.invite(sessionIdHash, subject.otherHospital, specialist, TelehealthInviteRole.SPECIALIST);
      expect(await host.isInvited(sessionIdHash, subject.otherHospital, specialist)).toBe(true);
      expect(await host.invitationRole(sessionIdHash, subject.otherHospital, specialist)).toBe(TelehealthInviteRole.SPECIALIST);
      expect(await host.isInvited(sessionIdHash, subject.hostMember, specialist)).toBe(false);
      await host.withdrawInvitation(sessionIdHash, subject.otherHospital, specialist);
      expect(await host.isInvited(sessionIdHash, subject.otherHospital, specialist)).toBe(false);
      expect(await host.invitationRole(sessionIdHash, subject.otherHospital, specialist)).toBeNull();
    });

    it('replays a whole consult as events, in chain order, and keeps the close', async () => {
      const from = (await host.latestBlock()) + 1;
      const { sessionIdHash, patient, grantId } = await openSession();
      const specialist = randomHash();
      const observer = randomHash();
      await host.invite(sessionIdHash, subject.otherHospital, specialist, TelehealthInviteRole.SPECIALIST);
      await host.invite(sessionIdHash, subject.otherHospital, observer, TelehealthInviteRole.OBSERVER);
      await host.withdrawInvitation(sessionIdHash, subject.otherHospital, observer);
      const reasonHash = randomHash();
      await host.escalate(sessionIdHash, 4, reasonHash);
      const root = randomHash();
      const closed = await host.closeSession(sessionIdHash, TelehealthFinalState.COMPLETED, root);

      const events = await host.events(from, await host.latestBlock());
      expect(events.map((e) => e.kind)).toEqual([
        'opened',
        'invited',
        'invited',
        'invitation-withdrawn',
        'escalated',
        'closed',
      ]);
      const [opened, invited, , withdrawn, escalated, close] = events;
      expect(opened).toMatchObject({ kind: 'opened', session: { sessionIdHash, hostMember: subject.hostMember, homeMember: subject.otherHospital, patient, consentGrantId: grantId } });
      expect(invited).toMatchObject({ sessionIdHash, invitedMember: subject.otherHospital, practitionerHash: specialist, role: TelehealthInviteRole.SPECIALIST });
      expect(withdrawn).toMatchObject({ sessionIdHash, invitedMember: subject.otherHospital, practitionerHash: observer });
      expect(escalated).toMatchObject({ sessionIdHash, severity: 4, reasonHash });
      expect(close).toEqual({ kind: 'closed', sessionIdHash, finalState: TelehealthFinalState.COMPLETED, eventLogRoot: root, ...closed });
      expect(await host.getSession(sessionIdHash)).toMatchObject({ closedAt: closed.blockTime, finalState: TelehealthFinalState.COMPLETED, eventLogRoot: root });
      expect(await host.events(from, from - 1)).toEqual([]);
    });

    it('refuses a revoked consent and a consent to another member, with the reason and its arguments', async () => {
      const { wallet, patient, grantId } = await patientWithGrant();
      const nonce = await subject.consents.nonceOf(patient);
      const revoked = await subject.consents.revokeWithSignature(grantId, nonce, (await wallet.signTypedData(domain(), REVOCATION_TYPES, { grantId, nonce })) as Hex);
      const refused = await rejection(host.openSession({ sessionIdHash: randomHash(), homeMember: subject.otherHospital, patient, consentGrantId: grantId }));
      expect(refused).toBeInstanceOf(TelehealthRejectedError);
      expect(refused).toMatchObject({ reason: 'ConsentRevoked', args: [grantId, BigInt(revoked.blockTime)] });

      const elsewhere = await patientWithGrant(subject.otherHospital);
      const sessionIdHash = randomHash();
      expect(await rejection(host.openSession({ sessionIdHash, homeMember: subject.otherHospital, patient: elsewhere.patient, consentGrantId: elsewhere.grantId }))).toMatchObject({
        reason: 'ConsentForOtherMember',
        args: [elsewhere.grantId, subject.otherHospital, subject.hostMember],
      });
      expect(await host.getSession(sessionIdHash)).toBeNull();
    });

    it('refuses changes from another hospital, duplicates and changes after the close', async () => {
      const { sessionIdHash } = await openSession();
      const practitioner = randomHash();
      expect(await rejection(subject.other.invite(sessionIdHash, subject.otherHospital, practitioner, TelehealthInviteRole.SPECIALIST))).toMatchObject({ reason: 'NotHost' });
      await host.invite(sessionIdHash, subject.otherHospital, practitioner, TelehealthInviteRole.SPECIALIST);
      expect(await rejection(host.invite(sessionIdHash, subject.otherHospital, practitioner, TelehealthInviteRole.OBSERVER))).toMatchObject({ reason: 'AlreadyInvited' });
      const closed = await host.closeSession(sessionIdHash, TelehealthFinalState.NO_SHOW, randomHash());
      expect(await rejection(host.escalate(sessionIdHash, 5, randomHash()))).toMatchObject({ reason: 'SessionClosed', args: [sessionIdHash, BigInt(closed.blockTime)] });
    });
  });
}
