import { Wallet, ZeroAddress, id } from 'ethers';
import { describe, expect, it } from 'vitest';
import { deployedOnce, useEmbeddedChain } from '../../../test/support/chain-fixture.js';
import { AnchorNotAuthorizedError } from '../anchor-errors.js';
import { describeAnchorPort } from '../anchor-port.behaviour.js';
import { connectLedger } from '../factory.js';
import type { Hex } from '../ports.js';

const fixture = useEmbeddedChain();

/** Deploys once per test file: hospitals A and B (accounts 1, 2) and payer C (account 3). */
const consortium = deployedOnce(fixture, [
  { orgId: 'hospital-a', roles: ['HOSPITAL'] },
  { orgId: 'hospital-b', roles: ['HOSPITAL', 'EMERGENCY'] },
  { orgId: 'payer-c', roles: ['PAYER'] },
]);

async function connectAs(account: number) {
  const { chain } = fixture();
  const descriptor = await consortium();
  return connectLedger({ kind: 'evm', ...descriptor, privateKey: chain.accounts[account]!.privateKey, pollingIntervalMs: 50 });
}

describeAnchorPort('EVM on the embedded anvil chain', async () => {
  const ledger = await connectAs(1);
  const descriptor = await consortium();
  return { port: ledger.anchors, chainId: descriptor.chainId, contract: descriptor.contracts.AnchorRegistry, close: ledger.close };
});

describe('EVM ledger ports', () => {
  it('resolves the member id of the key', async () => {
    const ledger = await connectAs(2);
    expect(ledger.anchors.memberId).toBe(id('hospital-b'));
    await ledger.close();
  });

  it('maps a non-hospital submitter to AnchorNotAuthorizedError', async () => {
    const ledger = await connectAs(3);
    const error = await ledger.anchors
      .submitAnchor({ sequence: 1n, root: id('payer root') as Hex, leafCount: 1, prevRoot: `0x${'0'.repeat(64)}` })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AnchorNotAuthorizedError);
    expect(error).toMatchObject({ account: fixture().chain.accounts[3]!.address });
    await ledger.close();
  });

  it('reads members and roles', async () => {
    const ledger = await connectAs(1);
    const accounts = fixture().chain.accounts;
    expect(await ledger.members.getMember(accounts[2]!.address)).toEqual({
      memberId: id('hospital-b'),
      orgId: 'hospital-b',
      roles: 1 | 16,
      active: true,
      signers: [accounts[2]!.address],
    });
    expect(await ledger.members.getMember(accounts[8]!.address)).toBeNull();
    expect(await ledger.members.hasRole(accounts[2]!.address, 'EMERGENCY')).toBe(true);
    expect(await ledger.members.hasRole(accounts[3]!.address, 'HOSPITAL')).toBe(false);
    expect(await ledger.members.hasRole(ZeroAddress as Hex, 'PAYER')).toBe(false);
    await ledger.close();
  });

  it('refuses to connect with a wrong chain id, missing contracts or an unregistered key', async () => {
    const { chain } = fixture();
    const descriptor = await consortium();
    const key = chain.accounts[1]!.privateKey;
    await expect(connectLedger({ kind: 'evm', ...descriptor, chainId: 999, privateKey: key })).rejects.toThrow(/serves chain 1337/);
    await expect(
      connectLedger({ kind: 'evm', ...descriptor, contracts: { ...descriptor.contracts, AnchorRegistry: chain.accounts[5]!.address }, privateKey: key }),
    ).rejects.toThrow(/no AnchorRegistry contract/);
    await expect(connectLedger({ kind: 'evm', ...descriptor, privateKey: Wallet.createRandom().privateKey as Hex })).rejects.toThrow(
      /not a signer of any consortium member/,
    );
  });
});
