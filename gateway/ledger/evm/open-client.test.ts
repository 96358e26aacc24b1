// The command line's ledger client on a real anvil, opened through the factory as verify, trust
// and cohort open it: reads without a key, sends only with one, and checks no membership up front.
import { Wallet } from 'ethers';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deployedOnce, useEmbeddedChain } from '../../../test/support/chain-fixture.js';
import { memberIdOf } from '../../crypto/digest.js';
import { CohortRejectedError } from '../cohort-errors.js';
import { connectLedger, openLedgerClient } from '../factory.js';
import type { Hex } from '../ports.js';

const fixture = useEmbeddedChain();
const randomRoot = () => `0x${randomBytes(32).toString('hex')}` as Hex;

const consortium = deployedOnce(fixture, [
  { orgId: 'hospital-a', roles: ['HOSPITAL'] },
  { orgId: 'research-r', roles: ['RESEARCHER'] },
]);

describe('openLedgerClient (EVM)', () => {
  it('reads anchors at the registry it is given, members and the chain clock without a key', async () => {
    const descriptor = await consortium();
    const node = await connectLedger({ kind: 'evm', ...descriptor, privateKey: fixture().chain.accounts[1]!.privateKey, pollingIntervalMs: 50 });
    const anchored = await node.anchors.submitAnchor({ sequence: 1n, root: randomRoot(), leafCount: 3, prevRoot: `0x${'0'.repeat(64)}` });
    await node.close();

    const client = await openLedgerClient({ kind: 'evm', ...descriptor });
    try {
      expect(await client.anchorsAt(descriptor.contracts.AnchorRegistry).getAnchor(memberIdOf('hospital-a'), 1n)).toEqual(anchored);
      expect(await client.anchorsAt(descriptor.contracts.AnchorRegistry).findByRoot(randomRoot())).toBeNull();
      expect((await client.members!.listMembers()).map((m) => m.orgId)).toEqual(['hospital-a', 'research-r']);
      expect(await client.verifier.identity()).toMatchObject({ chainId: descriptor.chainId });
      expect(Math.abs((await client.latestBlockTime()) - Date.now() / 1000)).toBeLessThan(600);
      await expect(client.cohorts!.registerTrial(1n, 2n)).rejects.toThrow(/read-only/);
    } finally {
      await client.close();
    }
  });

  it('signs with the key it is opened with, and leaves refusing a non-member to the contract', async () => {
    const descriptor = await consortium();
    const researcher = await openLedgerClient({ kind: 'evm', ...descriptor }, { privateKey: fixture().chain.accounts[2]!.privateKey, pollingIntervalMs: 50 });
    const stranger = Wallet.createRandom();
    const outsider = await openLedgerClient({ kind: 'evm', ...descriptor }, { privateKey: stranger.privateKey, pollingIntervalMs: 50 });
    try {
      await researcher.cohorts!.registerTrial(7n, 11n);
      expect(await researcher.cohorts!.trialCriteriaHash(7n)).toBe(11n);
      const refusal = await outsider.cohorts!.registerTrial(8n, 11n).catch((e: unknown) => e);
      expect(refusal).toBeInstanceOf(CohortRejectedError);
      expect(refusal).toMatchObject({ reason: 'NotTrialRegistrar' });
      expect(((refusal as CohortRejectedError).args[0] as string).toLowerCase()).toBe(stranger.address.toLowerCase() as Hex);
    } finally {
      await researcher.close();
      await outsider.close();
    }
  });

  it('has no member or cohort port for a target that names no such registry', async () => {
    const { AnchorRegistry } = (await consortium()).contracts;
    const client = await openLedgerClient({ kind: 'evm', rpcUrl: fixture().chain.rpcUrl, chainId: fixture().chain.chainId, contracts: { AnchorRegistry } });
    expect(client.members).toBeNull();
    expect(client.cohorts).toBeNull();
    await client.close();
  });
});
