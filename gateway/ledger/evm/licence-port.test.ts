// The licence registry as the command line reaches it: a licensing board's client issues and
// revokes with its key, a verifier reads at the registry address it pinned, without a key.
import { Wallet } from 'ethers';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deployedOnce, useEmbeddedChain } from '../../../test/support/chain-fixture.js';
import { memberIdOf } from '../../crypto/digest.js';
import { openLedgerClient } from '../factory.js';
import { LicenceRejectedError } from '../licence-errors.js';
import type { Hex } from '../ports.js';

const fixture = useEmbeddedChain();
const randomHash = () => `0x${randomBytes(32).toString('hex')}` as Hex;

const consortium = deployedOnce(fixture, [
  { orgId: 'hospital-a', roles: ['HOSPITAL'] },
  { orgId: 'medical-board', roles: ['LICENSING'] },
]);

describe('licences through the ledger client (EVM)', () => {
  it('issue and revoke with the board\'s key; a keyless verifier reads them at the pinned registry', async () => {
    const descriptor = await consortium();
    const board = await openLedgerClient({ kind: 'evm', ...descriptor }, { privateKey: fixture().chain.accounts[2]!.privateKey, pollingIntervalMs: 50 });
    const verifier = await openLedgerClient({ kind: 'evm', ...descriptor });
    try {
      const subject = Wallet.createRandom().address.toLowerCase() as Hex;
      const credentialHash = randomHash();
      const now = Math.floor(Date.now() / 1000);
      const { licence } = await board.licences!.issue(credentialHash, subject, now - 60, now + 3600);
      expect(licence.issuerMember).toBe(memberIdOf('medical-board'));

      const pinned = verifier.licencesAt(descriptor.contracts.LicenceRegistry!);
      expect(pinned.contract).toBe(descriptor.contracts.LicenceRegistry);
      expect(await pinned.getLicence(credentialHash)).toEqual(licence);
      expect(await pinned.licencesOf(subject)).toEqual([licence]);
      expect(await pinned.isValid(credentialHash, subject, now)).toBe(true);
      await expect(verifier.licences!.revoke(credentialHash)).rejects.toThrow(/read-only/);

      const revoked = await board.licences!.revoke(credentialHash);
      expect(await pinned.isValid(credentialHash, subject, revoked.blockTime)).toBe(false);
    } finally {
      await board.close();
      await verifier.close();
    }
  });

  it('leaves refusing a hospital that is no licensing board to the contract', async () => {
    const descriptor = await consortium();
    const hospital = await openLedgerClient({ kind: 'evm', ...descriptor }, { privateKey: fixture().chain.accounts[1]!.privateKey, pollingIntervalMs: 50 });
    try {
      const refusal = await hospital.licences!.issue(randomHash(), Wallet.createRandom().address.toLowerCase() as Hex, 0, 2 ** 40).catch((e: unknown) => e);
      expect(refusal).toBeInstanceOf(LicenceRejectedError);
      expect(refusal).toMatchObject({ reason: 'NotLicensingMember' });
    } finally {
      await hospital.close();
    }
  });

  it('has no licence port for a target that names no LicenceRegistry', async () => {
    const { AnchorRegistry } = (await consortium()).contracts;
    const client = await openLedgerClient({ kind: 'evm', rpcUrl: fixture().chain.rpcUrl, chainId: fixture().chain.chainId, contracts: { AnchorRegistry } });
    expect(client.licences).toBeNull();
    await client.close();
  });
});
