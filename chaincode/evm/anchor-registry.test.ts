import { type BaseContract, ContractFactory, ZeroHash, id } from 'ethers';
import { beforeAll, describe, expect, it } from 'vitest';
import { useEmbeddedChain } from '../../test/support/chain-fixture.js';
import { artifacts } from './artifacts.js';
import { event, eventsOf } from './contract-events.js';
import { expectRevert } from './revert-assertions.js';

const consortiumFactory = new ContractFactory(artifacts.ConsortiumRegistry.abi as never, artifacts.ConsortiumRegistry.bytecode);
const anchorFactory = new ContractFactory(artifacts.AnchorRegistry.abi as never, artifacts.AnchorRegistry.bytecode);
const iface = anchorFactory.interface;
const HOSPITAL = 1;
const PAYER = 2;
const A = id('hospital-a');
const B = id('hospital-b');
const root = (label: string) => id(`root:${label}`);

const fixture = useEmbeddedChain();
const addr = (i: number) => fixture().chain.accounts[i]!.address;

// ethers types contract methods loosely; views and sends share one call shape here.
type Registry = BaseContract & Record<string, (...args: unknown[]) => Promise<any>>;

describe('AnchorRegistry', () => {
  let consortium: Registry;
  let registry: Registry;
  const as = async (i: number) => registry.connect(await fixture().signer(i)) as Registry;
  const anchor = async (i: number, seq: number, r: string, leaves: number, prev: string) =>
    (await (await as(i)).anchor(seq, r, leaves, prev)).wait();

  beforeAll(async () => {
    // A and B are hospitals, C a payer; account 5 is a second signer of A (added by A alone: with
    // two of three votes needed, A and B approve).
    const deployer = await fixture().signer(0);
    consortium = (await consortiumFactory
      .connect(deployer)
      .deploy(['hospital-a', 'hospital-b', 'payer-c'], [HOSPITAL, HOSPITAL, PAYER], [addr(1), addr(2), addr(3)], 3600)) as unknown as Registry;
    await consortium.waitForDeployment();
    registry = (await anchorFactory.connect(deployer).deploy(await consortium.getAddress())) as unknown as Registry;
    await registry.waitForDeployment();
    await (await (consortium.connect(await fixture().signer(1)) as Registry).proposeAddSigner(A, addr(5))).wait();
    await (await (consortium.connect(await fixture().signer(2)) as Registry).approve(1)).wait();
  });

  it('needs a consortium registry with code', async () => {
    const deployer = await fixture().signer(0);
    await expectRevert(anchorFactory.connect(deployer).deploy(addr(7)), iface, 'AnchorRegistryInvalidConsortium', [addr(7)]);
    expect((await registry.consortium()).toLowerCase()).toBe((await consortium.getAddress()).toLowerCase());
  });

  it('accepts only signers of active HOSPITAL members', async () => {
    await expectRevert((await as(7)).anchor(1, root('x'), 1, ZeroHash), iface, 'AnchorRegistryNotHospital', [addr(7)]);
    await expectRevert((await as(3)).anchor(1, root('x'), 1, ZeroHash), iface, 'AnchorRegistryNotHospital', [addr(3)]);
  });

  it('rejects a zero root and an empty batch', async () => {
    await expectRevert((await as(1)).anchor(1, ZeroHash, 1, ZeroHash), iface, 'AnchorRegistryZeroRoot');
    await expectRevert((await as(1)).anchor(1, root('x'), 0, ZeroHash), iface, 'AnchorRegistryEmptyBatch');
  });

  it('anchors sequence 1 with a zero previous root and records where', async () => {
    await expectRevert((await as(1)).anchor(2, root('a1'), 3, ZeroHash), iface, 'AnchorRegistryGap', [A, 1, 2]);
    await expectRevert((await as(1)).anchor(0, root('a1'), 3, ZeroHash), iface, 'AnchorRegistryGap', [A, 1, 0]);
    await expectRevert((await as(1)).anchor(1, root('a1'), 3, root('nope')), iface, 'AnchorRegistryPrevRootMismatch', [A, ZeroHash, root('nope')]);
    expect(await registry.latestSequence(A)).toBe(0n);

    const receipt = await anchor(1, 1, root('a1'), 3, ZeroHash);
    console.info(`anchor() gas, first anchor of a member: ${receipt.gasUsed}`);
    expect(eventsOf(receipt, iface)).toEqual([event('Anchored', A, 1, root('a1'), 3, ZeroHash, addr(1))]);
    const block = (await fixture().provider.getBlock(receipt.blockNumber))!;
    const stored = await registry.getAnchor(A, 1);
    expect([stored.root, stored.prevRoot, stored.leafCount, stored.blockNumber, stored.timestamp, stored.submitter.toLowerCase()]).toEqual([
      root('a1'), ZeroHash, 3n, BigInt(receipt.blockNumber), BigInt(block.timestamp), addr(1),
    ]);
    expect(await registry.latestSequence(A)).toBe(1n);
    expect([...(await registry.anchorOfRoot(root('a1')))]).toEqual([A, 1n]);
  });

  it('rejects duplicates, gaps and broken links after sequence 1', async () => {
    await expectRevert((await as(1)).anchor(1, root('other'), 1, ZeroHash), iface, 'AnchorRegistryDuplicate', [A, 1, root('a1')]);
    await expectRevert((await as(1)).anchor(3, root('a3'), 1, root('a1')), iface, 'AnchorRegistryGap', [A, 2, 3]);
    await expectRevert((await as(1)).anchor(2, root('a2'), 1, ZeroHash), iface, 'AnchorRegistryPrevRootMismatch', [A, root('a1'), ZeroHash]);
    await expectRevert((await as(1)).anchor(2, root('a1'), 1, root('a1')), iface, 'AnchorRegistryRootExists', [root('a1'), A, 1]);
  });

  it('keeps one sequence per member across its signers, and separate ones per member', async () => {
    const second = await anchor(5, 2, root('a2'), 7, root('a1'));
    console.info(`anchor() gas, steady state (sequence 2): ${second.gasUsed}`);
    expect(eventsOf(second, iface)).toEqual([event('Anchored', A, 2, root('a2'), 7, root('a1'), addr(5))]);
    const third = await anchor(1, 3, root('a3'), 1, root('a2'));
    console.info(`anchor() gas, steady state (sequence 3): ${third.gasUsed}`);
    expect(await registry.latestSequence(A)).toBe(3n);

    await expectRevert((await as(2)).anchor(1, root('a3'), 1, ZeroHash), iface, 'AnchorRegistryRootExists', [root('a3'), A, 3]);
    await anchor(2, 1, root('b1'), 1, ZeroHash);
    expect(await registry.latestSequence(B)).toBe(1n);
    expect([...(await registry.anchorOfRoot(root('b1')))]).toEqual([B, 1n]);
  });

  it('answers with zeros for what was never anchored', async () => {
    const missing = await registry.getAnchor(A, 99);
    expect([missing.root, missing.leafCount, missing.blockNumber, missing.submitter]).toEqual([ZeroHash, 0n, 0n, `0x${'0'.repeat(40)}`]);
    expect([...(await registry.anchorOfRoot(root('never')))]).toEqual([ZeroHash, 0n]);
    expect(await registry.latestSequence(id('nobody'))).toBe(0n);
  });
});
