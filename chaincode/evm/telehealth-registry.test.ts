import { type BaseContract, ContractFactory, Wallet, ZeroAddress, ZeroHash, id } from 'ethers';
import { beforeAll, describe, expect, it } from 'vitest';
import { useEmbeddedChain } from '../../test/support/chain-fixture.js';
import { CONSENT_TYPES, REVOCATION_TYPES, type ConsentMessage, consentDigest, contractTerms, typedDomain } from '../../gateway/consent/typed-data.js';
import type { Hex } from '../../gateway/ledger/ports.js';
import { decodeRevert } from '../../gateway/ledger/evm/revert.js';
import { artifacts } from './artifacts.js';
import { event, eventsOf } from './contract-events.js';
import { deployed, mined } from './mined-receipt.js';
import { expectRevert, failureOf, normalize } from './revert-assertions.js';

const factory = (name: keyof typeof artifacts) => new ContractFactory(artifacts[name].abi as never, artifacts[name].bytecode);
const consortiumFactory = factory('ConsortiumRegistry');
const consentFactory = factory('ConsentRegistry');
const licenceFactory = factory('LicenceRegistry');
const telehealthFactory = factory('TelehealthRegistry');
const iface = telehealthFactory.interface;
const HOSPITAL = 1;
const PAYER = 2;
const LICENSING = 8;
const TREAT = 1;
const HPAYMT = 4;
const SPECIALIST = 1;
const SECOND_OPINION = 2;
const OBSERVER = 3;
const COMPLETED = 1;
const CANCELLED = 2;
const NO_SHOW = 3;
const A = id('hospital-a') as Hex;
const B = id('hospital-b') as Hex;
const C = id('hospital-c') as Hex;
const P = id('payer-p') as Hex;
const L = id('licensing-l') as Hex;
const NOBODY = id('nobody') as Hex;

const fixture = useEmbeddedChain();
const addr = (i: number) => fixture().chain.accounts[i]!.address;

type Registry = BaseContract & Record<string, (...args: unknown[]) => Promise<any>>;

describe('TelehealthRegistry', () => {
  // Accounts: 1 hospital A (the patient's home), 2 hospital B (the host), 3 hospital C (the
  // specialist's), 4 payer P, 5 licensing board L; 8 and 9 belong to nobody.
  let registry: Registry;
  let consents: Registry;
  let addresses: { consortium: string; consents: string; licences: string };
  const patient = new Wallet(Wallet.createRandom().privateKey);
  const otherPatient = new Wallet(Wallet.createRandom().privateKey);
  const as = async (i: number) => registry.connect(await fixture().signer(i)) as Registry;
  const now = async () => (await fixture().provider.getBlock('latest'))!.timestamp;
  let serial = 0;
  const sessionId = () => id(`session-${serial++}`) as Hex;
  const practitioner = (name: string) => id(`practitioner:${name}`) as Hex;
  const domain = async () => typedDomain({ chainId: fixture().chain.chainId, verifyingContract: (await consents.getAddress()).toLowerCase() as Hex });

  /** A grant recorded in ConsentRegistry (submitted by A), by default patient -> B for TREAT. */
  async function grant(overrides: Partial<ConsentMessage> = {}, signer = patient): Promise<Hex> {
    const t = await now();
    const m: ConsentMessage = {
      patient: signer.address.toLowerCase() as Hex,
      granteeMember: B,
      granteePractitioner: ZeroHash as Hex,
      actions: ['access'],
      categories: ['Encounter'],
      purposes: TREAT,
      notBefore: t - 60,
      notAfter: t + 86_400,
      nonce: (await consents.nonces(signer.address)) as bigint,
      ...overrides,
    };
    const d = await domain();
    await mined((consents.connect(await fixture().signer(1)) as Registry).grant(contractTerms(m), await signer.signTypedData(d, CONSENT_TYPES, m)));
    return consentDigest({ chainId: Number(d.chainId), verifyingContract: d.verifyingContract as Hex }, m);
  }

  async function opened(): Promise<Hex> {
    const session = sessionId();
    await mined((await as(2)).openSession(session, A, patient.address, await grant()));
    return session;
  }

  beforeAll(async () => {
    const deployer = await fixture().signer(0);
    const consortium = await deployed(
      consortiumFactory
        .connect(deployer)
        .deploy(
          ['hospital-a', 'hospital-b', 'hospital-c', 'payer-p', 'licensing-l'],
          [HOSPITAL, HOSPITAL, HOSPITAL, PAYER, LICENSING],
          [addr(1), addr(2), addr(3), addr(4), addr(5)],
          3600,
        ),
    );
    const consortiumAddress = await consortium.getAddress();
    consents = (await deployed(consentFactory.connect(deployer).deploy(consortiumAddress))) as unknown as Registry;
    const licences = await deployed(licenceFactory.connect(deployer).deploy(consortiumAddress));
    addresses = { consortium: consortiumAddress, consents: await consents.getAddress(), licences: await licences.getAddress() };
    registry = (await deployed(telehealthFactory.connect(deployer).deploy(addresses.consortium, addresses.consents, addresses.licences))) as unknown as Registry;
  });

  describe('deployment', () => {
    it('needs a consortium, a consent and a licence registry with code, and names them', async () => {
      const deployer = await fixture().signer(0);
      const { consortium, consents: c, licences } = addresses;
      await expectRevert(telehealthFactory.connect(deployer).deploy(addr(8), c, licences), iface, 'TelehealthRegistryInvalidConsortium', [addr(8)]);
      await expectRevert(telehealthFactory.connect(deployer).deploy(consortium, addr(8), licences), iface, 'TelehealthRegistryInvalidConsentRegistry', [addr(8)]);
      await expectRevert(telehealthFactory.connect(deployer).deploy(consortium, c, addr(8)), iface, 'TelehealthRegistryInvalidLicenceRegistry', [addr(8)]);
      expect(normalize([await registry.consortium(), await registry.consents(), await registry.licences()])).toEqual(normalize([consortium, c, licences]));
    });
  });

  describe('a consult from opening to close', () => {
    it('opens, invites, withdraws, escalates and completes, with an event for each', async () => {
      const session = sessionId();
      const grantId = await grant();
      const host = await as(2);
      let receipt = await mined(host.openSession(session, A, patient.address, grantId));
      expect(eventsOf(receipt, iface)).toEqual([event('SessionOpened', session, B, A, patient.address, grantId)]);
      const { timestamp: openedAt } = (await fixture().provider.getBlock(receipt.blockNumber))!;
      let s = await registry.getSession(session);
      expect(normalize([...s])).toEqual(normalize([B, A, grantId, patient.address, openedAt, 0, 0, ZeroHash]));

      const specialist = practitioner('c-cardiologist');
      const student = practitioner('c-student');
      receipt = await mined(host.invite(session, C, specialist, SPECIALIST));
      expect(eventsOf(receipt, iface)).toEqual([event('ParticipantInvited', session, C, specialist, SPECIALIST)]);
      await mined(host.invite(session, C, student, OBSERVER));
      // The host may ask a colleague of its own for a second opinion.
      await mined(host.invite(session, B, practitioner('b-second'), SECOND_OPINION));
      expect(await registry.isInvited(session, C, specialist)).toBe(true);
      expect(await registry.invitationRole(session, C, student)).toBe(BigInt(OBSERVER));
      expect(await registry.isInvited(session, A, specialist)).toBe(false);

      receipt = await mined(host.withdrawInvitation(session, C, student));
      expect(eventsOf(receipt, iface)).toEqual([event('InvitationWithdrawn', session, C, student)]);
      expect(await registry.isInvited(session, C, student)).toBe(false);
      // Withdrawn, the practitioner can be invited again.
      await mined(host.invite(session, C, student, OBSERVER));

      const reasonHash = id('salt+reason');
      receipt = await mined(host.escalate(session, 4, reasonHash));
      expect(eventsOf(receipt, iface)).toEqual([event('SessionEscalated', session, 4, reasonHash)]);

      const root = id('event-log-root');
      receipt = await mined(host.closeSession(session, COMPLETED, root));
      expect(eventsOf(receipt, iface)).toEqual([event('SessionClosed', session, COMPLETED, root)]);
      const { timestamp: closedAt } = (await fixture().provider.getBlock(receipt.blockNumber))!;
      s = await registry.getSession(session);
      expect(normalize([s.closedAt, s.finalState, s.eventLogRoot])).toEqual(normalize([closedAt, COMPLETED, root]));
    });

    it('ends as cancelled or no-show too', async () => {
      for (const finalState of [CANCELLED, NO_SHOW]) {
        const session = await opened();
        await mined((await as(2)).closeSession(session, finalState, id('root')));
        expect((await registry.getSession(session)).finalState).toBe(BigInt(finalState));
      }
    });

    it('changes nothing once closed', async () => {
      const session = await opened();
      const host = await as(2);
      await mined(host.invite(session, C, practitioner('x'), SPECIALIST));
      const receipt = await mined(host.closeSession(session, COMPLETED, id('root')));
      const { timestamp } = (await fixture().provider.getBlock(receipt.blockNumber))!;
      const closed = [session, timestamp];
      await expectRevert(host.invite(session, C, practitioner('y'), SPECIALIST), iface, 'TelehealthRegistrySessionClosed', closed);
      await expectRevert(host.withdrawInvitation(session, C, practitioner('x')), iface, 'TelehealthRegistrySessionClosed', closed);
      await expectRevert(host.escalate(session, 1, id('r')), iface, 'TelehealthRegistrySessionClosed', closed);
      await expectRevert(host.closeSession(session, CANCELLED, id('root')), iface, 'TelehealthRegistrySessionClosed', closed);
    });
  });

  describe('opening', () => {
    it('only by a signer of an active HOSPITAL member', async () => {
      const grantId = await grant();
      await expectRevert((await as(4)).openSession(sessionId(), A, patient.address, grantId), iface, 'TelehealthRegistryNotHospital', [addr(4)]);
      await expectRevert((await as(9)).openSession(sessionId(), A, patient.address, grantId), iface, 'TelehealthRegistryNotHospital', [addr(9)]);
    });

    it('refuses a zero session id', async () => {
      await expectRevert((await as(2)).openSession(ZeroHash, A, patient.address, await grant()), iface, 'TelehealthRegistryZeroSessionId');
    });

    it('never opens a session id twice', async () => {
      const session = await opened();
      await expectRevert((await as(2)).openSession(session, A, patient.address, await grant()), iface, 'TelehealthRegistrySessionExists', [session]);
      // Nor for another host.
      const grantToC = await grant({ granteeMember: C });
      await expectRevert((await as(3)).openSession(session, A, patient.address, grantToC), iface, 'TelehealthRegistrySessionExists', [session]);
    });

    it('needs the home member to be an active member', async () => {
      await expectRevert((await as(2)).openSession(sessionId(), NOBODY, patient.address, await grant()), iface, 'TelehealthRegistryHomeNotMember', [NOBODY]);
    });

    it('refuses a zero patient', async () => {
      await expectRevert((await as(2)).openSession(sessionId(), A, ZeroAddress, await grant()), iface, 'TelehealthRegistryZeroPatient');
    });
  });

  describe('the consent the opening relies on', () => {
    it('must exist', async () => {
      const unknown = id('no-such-grant');
      await expectRevert((await as(2)).openSession(sessionId(), A, patient.address, unknown), iface, 'TelehealthRegistryConsentMissing', [unknown]);
    });

    it('must be the patient\'s', async () => {
      const grantId = await grant({}, otherPatient);
      await expectRevert((await as(2)).openSession(sessionId(), A, patient.address, grantId), iface, 'TelehealthRegistryConsentForOtherPatient', [
        grantId,
        otherPatient.address,
        patient.address,
      ]);
    });

    it('must be to the host, not another member', async () => {
      const grantId = await grant({ granteeMember: C });
      await expectRevert((await as(2)).openSession(sessionId(), A, patient.address, grantId), iface, 'TelehealthRegistryConsentForOtherMember', [grantId, C, B]);
    });

    it('must cover treatment', async () => {
      const grantId = await grant({ purposes: HPAYMT });
      await expectRevert((await as(2)).openSession(sessionId(), A, patient.address, grantId), iface, 'TelehealthRegistryConsentNotTreatment', [grantId, HPAYMT]);
      // TREAT among other purposes is enough.
      await mined((await as(2)).openSession(sessionId(), A, patient.address, await grant({ purposes: TREAT | HPAYMT })));
    });

    it('must not be revoked', async () => {
      const grantId = await grant();
      const nonce = (await consents.nonces(patient.address)) as bigint;
      const signature = await patient.signTypedData(await domain(), REVOCATION_TYPES, { grantId, nonce });
      const receipt = await mined((consents.connect(await fixture().signer(1)) as Registry).revokeWithSignature(grantId, nonce, signature));
      const { timestamp } = (await fixture().provider.getBlock(receipt.blockNumber))!;
      await expectRevert((await as(2)).openSession(sessionId(), A, patient.address, grantId), iface, 'TelehealthRegistryConsentRevoked', [grantId, timestamp]);
    });

    it('must have started', async () => {
      const t = await now();
      const grantId = await grant({ notBefore: t + 3600, notAfter: t + 7200 });
      const decoded = decodeRevert(await failureOf((await as(2)).openSession(sessionId(), A, patient.address, grantId)), iface);
      expect(decoded?.name).toBe('TelehealthRegistryConsentNotYetValid');
      expect(normalize([...decoded!.args].slice(0, 2))).toEqual(normalize([grantId, t + 3600]));
      expect(Number(decoded!.args[2])).toBeLessThan(t + 3600);
    });

    // Last in the file: it moves the chain's clock forward.
    it('must not have expired', async () => {
      const t = await now();
      const grantId = await grant({ notAfter: t + 120 });
      await fixture().provider.send('evm_increaseTime', [600]);
      await fixture().provider.send('evm_mine', []);
      const decoded = decodeRevert(await failureOf((await as(2)).openSession(sessionId(), A, patient.address, grantId)), iface);
      expect(decoded?.name).toBe('TelehealthRegistryConsentExpired');
      expect(normalize([...decoded!.args].slice(0, 2))).toEqual(normalize([grantId, t + 120]));
      expect(Number(decoded!.args[2])).toBeGreaterThanOrEqual(t + 120);
    });
  });

  describe('changes by the host only', () => {
    it('refuses every change from a signer of another member, and of an unknown session', async () => {
      const session = await opened();
      const p = practitioner('c-1');
      for (const i of [1, 3, 9]) {
        const notHost = [session, B, addr(i)];
        await expectRevert((await as(i)).invite(session, C, p, SPECIALIST), iface, 'TelehealthRegistryNotHost', notHost);
        await expectRevert((await as(i)).withdrawInvitation(session, C, p), iface, 'TelehealthRegistryNotHost', notHost);
        await expectRevert((await as(i)).escalate(session, 1, id('r')), iface, 'TelehealthRegistryNotHost', notHost);
        await expectRevert((await as(i)).closeSession(session, COMPLETED, id('root')), iface, 'TelehealthRegistryNotHost', notHost);
      }
      const unknown = sessionId();
      const host = await as(2);
      await expectRevert(registry.getSession(unknown), iface, 'TelehealthRegistryUnknownSession', [unknown]);
      await expectRevert(host.invite(unknown, C, p, SPECIALIST), iface, 'TelehealthRegistryUnknownSession', [unknown]);
      await expectRevert(host.withdrawInvitation(unknown, C, p), iface, 'TelehealthRegistryUnknownSession', [unknown]);
      await expectRevert(host.escalate(unknown, 1, id('r')), iface, 'TelehealthRegistryUnknownSession', [unknown]);
      await expectRevert(host.closeSession(unknown, COMPLETED, id('root')), iface, 'TelehealthRegistryUnknownSession', [unknown]);
      expect(await registry.isInvited(unknown, C, p)).toBe(false);
    });
  });

  describe('invitations', () => {
    it('go only to active HOSPITAL members', async () => {
      const session = await opened();
      const host = await as(2);
      for (const member of [P, L, NOBODY]) {
        await expectRevert(host.invite(session, member, practitioner('p'), SPECIALIST), iface, 'TelehealthRegistryInvitedNotHospital', [member]);
      }
    });

    it('name a practitioner', async () => {
      const session = await opened();
      await expectRevert((await as(2)).invite(session, C, ZeroHash, SPECIALIST), iface, 'TelehealthRegistryZeroPractitioner');
    });

    it('carry a role of 1 to 3', async () => {
      const session = await opened();
      for (const role of [0, 4, 255]) {
        await expectRevert((await as(2)).invite(session, C, practitioner('p'), role), iface, 'TelehealthRegistryInvalidRole', [role]);
      }
    });

    it('are not duplicated, whatever the role', async () => {
      const session = await opened();
      const p = practitioner('p');
      await mined((await as(2)).invite(session, C, p, SPECIALIST));
      await expectRevert((await as(2)).invite(session, C, p, OBSERVER), iface, 'TelehealthRegistryAlreadyInvited', [session, C, p]);
    });

    it('are withdrawn only when standing', async () => {
      const session = await opened();
      const p = practitioner('p');
      await expectRevert((await as(2)).withdrawInvitation(session, C, p), iface, 'TelehealthRegistryNotInvited', [session, C, p]);
      await mined((await as(2)).invite(session, C, p, SPECIALIST));
      await mined((await as(2)).withdrawInvitation(session, C, p));
      await expectRevert((await as(2)).withdrawInvitation(session, C, p), iface, 'TelehealthRegistryNotInvited', [session, C, p]);
    });
  });

  describe('escalation and close', () => {
    it('takes a severity of 1 to 5', async () => {
      const session = await opened();
      for (const severity of [0, 6]) {
        await expectRevert((await as(2)).escalate(session, severity, id('r')), iface, 'TelehealthRegistryInvalidSeverity', [severity]);
      }
      for (const severity of [1, 5]) await mined((await as(2)).escalate(session, severity, id('r')));
    });

    it('states a reason', async () => {
      const session = await opened();
      await expectRevert((await as(2)).escalate(session, 3, ZeroHash), iface, 'TelehealthRegistryEmptyReason');
    });

    it('closes with a final state of 1 to 3', async () => {
      const session = await opened();
      for (const finalState of [0, 4]) {
        await expectRevert((await as(2)).closeSession(session, finalState, id('root')), iface, 'TelehealthRegistryInvalidFinalState', [finalState]);
      }
    });

    it('closes with the root of a non-empty event log', async () => {
      const session = await opened();
      await expectRevert((await as(2)).closeSession(session, COMPLETED, ZeroHash), iface, 'TelehealthRegistryEmptyEventLog');
    });
  });
});
