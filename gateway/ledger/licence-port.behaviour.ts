// The behaviour every LicencePort implementation must show, as one reusable vitest suite. Each
// ledger's test file calls describeLicencePort with a port signing as an active LICENSING member
// and one signing as a member without that role. Subjects and credential hashes are fresh random
// values, so the suite also runs against a long-lived consortium.
import { randomBytes } from 'node:crypto';
import { Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LicenceRejectedError } from './licence-errors.js';
import type { Hex, LicencePort } from './ports.js';

export interface LicencePortUnderTest {
  /** Signs as a signer of an active LICENSING member. */
  port: LicencePort;
  /** The member id of that LICENSING member. */
  self: Hex;
  /** The same registry, signing as a member without the LICENSING role. */
  unlicensed: LicencePort;
  close(): Promise<void>;
}

const randomHash = () => `0x${randomBytes(32).toString('hex')}` as Hex;
const newSubject = () => Wallet.createRandom().address.toLowerCase() as Hex;
const rejection = (promise: Promise<unknown>) => promise.then(() => null, (e: unknown) => e);

export function describeLicencePort(name: string, connect: () => Promise<LicencePortUnderTest>): void {
  describe(`LicencePort behaviour: ${name}`, () => {
    let subject: LicencePortUnderTest;
    let port: LicencePort;

    beforeAll(async () => {
      subject = await connect();
      port = subject.port;
    });
    afterAll(async () => subject?.close());

    const window = () => {
      const now = Math.floor(Date.now() / 1000);
      return { validFrom: now - 60, validUntil: now + 365 * 86_400 };
    };

    it('issues a licence and reads it back by hash and by subject', async () => {
      const practitioner = newSubject();
      const credentialHash = randomHash();
      const { validFrom, validUntil } = window();
      const issued = await port.issue(credentialHash, practitioner, validFrom, validUntil);
      const expected = { credentialHash, issuerMember: subject.self, subject: practitioner, validFrom, validUntil, revokedAt: null };
      expect(issued.licence).toEqual(expected);
      expect(issued.txHash).toMatch(/^0x[0-9a-f]{64}$/);
      expect(await port.getLicence(credentialHash)).toEqual(expected);
      const second = await port.issue(randomHash(), practitioner, validFrom, validUntil);
      expect(await port.licencesOf(practitioner)).toEqual([expected, second.licence]);
      expect(await port.licencesOf(newSubject())).toEqual([]);
      expect(await port.getLicence(randomHash())).toBeNull();
    });

    it('answers validity at a moment: inside the window, for its subject only', async () => {
      const practitioner = newSubject();
      const credentialHash = randomHash();
      const { validFrom, validUntil } = window();
      await port.issue(credentialHash, practitioner, validFrom, validUntil);
      expect(await port.isValid(credentialHash, practitioner, validFrom)).toBe(true);
      expect(await port.isValid(credentialHash, practitioner, validFrom - 1)).toBe(false);
      expect(await port.isValid(credentialHash, practitioner, validUntil)).toBe(false);
      expect(await port.isValid(credentialHash, newSubject(), validFrom)).toBe(false);
      expect(await port.isValid(randomHash(), practitioner, validFrom)).toBe(false);
    });

    it('revokes at the block time of the revocation, once', async () => {
      const practitioner = newSubject();
      const credentialHash = randomHash();
      const { validFrom, validUntil } = window();
      await port.issue(credentialHash, practitioner, validFrom, validUntil);
      const revoked = await port.revoke(credentialHash);
      expect((await port.getLicence(credentialHash))!.revokedAt).toBe(revoked.blockTime);
      expect(await port.isValid(credentialHash, practitioner, revoked.blockTime)).toBe(false);
      expect(await port.isValid(credentialHash, practitioner, validFrom)).toBe(revoked.blockTime > validFrom);
      const again = await rejection(port.revoke(credentialHash));
      expect(again).toBeInstanceOf(LicenceRejectedError);
      expect(again).toMatchObject({ reason: 'AlreadyRevoked', args: [credentialHash, BigInt(revoked.blockTime)] });
    });

    it('refuses a member without the LICENSING role, a duplicate, a zero subject and an unknown credential, with the reason', async () => {
      const credentialHash = randomHash();
      const { validFrom, validUntil } = window();
      expect(await rejection(subject.unlicensed.issue(credentialHash, newSubject(), validFrom, validUntil))).toMatchObject({ reason: 'NotLicensingMember' });
      await port.issue(credentialHash, newSubject(), validFrom, validUntil);
      expect(await rejection(port.issue(credentialHash, newSubject(), validFrom, validUntil))).toMatchObject({ reason: 'AlreadyIssued', args: [credentialHash] });
      expect(await rejection(port.issue(randomHash(), `0x${'0'.repeat(40)}`, validFrom, validUntil))).toMatchObject({ reason: 'ZeroSubject' });
      expect(await rejection(subject.unlicensed.revoke(credentialHash))).toMatchObject({ reason: 'NotIssuer' });
      const unknown = randomHash();
      expect(await rejection(port.revoke(unknown))).toMatchObject({ reason: 'UnknownCredential', args: [unknown] });
    });

    it('replays issues and revocations as events, in chain order', async () => {
      const from = (await port.latestBlock()) + 1;
      const practitioner = newSubject();
      const credentialHash = randomHash();
      const { validFrom, validUntil } = window();
      const issued = await port.issue(credentialHash, practitioner, validFrom, validUntil);
      const revoked = await port.revoke(credentialHash);
      const events = await port.events(from, await port.latestBlock());
      expect(events).toEqual([
        { kind: 'issued', licence: issued.licence, txHash: issued.txHash, blockNumber: issued.blockNumber, blockTime: issued.blockTime },
        { kind: 'revoked', credentialHash, subject: practitioner, ...revoked },
      ]);
      expect(await port.events(from, from - 1)).toEqual([]);
    });
  });
}
