import { type BaseContract, ContractFactory, ZeroHash, id } from 'ethers';
import { beforeAll, describe, expect, it } from 'vitest';
import { useEmbeddedChain } from '../../test/support/chain-fixture.js';
import { EvmClaimFingerprintPort } from '../../gateway/ledger/evm/claim-fingerprint-port.js';
import type { Hex } from '../../gateway/ledger/ports.js';
import { artifacts } from './artifacts.js';
import { event, eventsOf } from './contract-events.js';
import { expectRevert } from './revert-assertions.js';

const consortiumFactory = new ContractFactory(artifacts.ConsortiumRegistry.abi as never, artifacts.ConsortiumRegistry.bytecode);
const anchorFactory = new ContractFactory(artifacts.AnchorRegistry.abi as never, artifacts.AnchorRegistry.bytecode);
const claimFactory = new ContractFactory(artifacts.ClaimRegistry.abi as never, artifacts.ClaimRegistry.bytecode);
const iface = claimFactory.interface;
const HOSPITAL = 1;
const PAYER = 2;
const A = id('hospital-a') as Hex;
const B = id('hospital-b') as Hex;
const fp = (label: string) => id(`fingerprint:${label}`) as Hex;
const tag = (label: string) => id(`claim:${label}`) as Hex;

const fixture = useEmbeddedChain();
const addr = (i: number) => fixture().chain.accounts[i]!.address;

type Registry = BaseContract & Record<string, (...args: unknown[]) => Promise<any>>;

describe('ClaimRegistry', () => {
  let anchors: Registry;
  let registry: Registry;
  const as = async (i: number) => registry.connect(await fixture().signer(i)) as Registry;
  const anchorAs = async (i: number, seq: number, root: string, prev: string) =>
    (await (await (anchors.connect(await fixture().signer(i)) as Registry).anchor(seq, root, 4, prev)).wait());

  beforeAll(async () => {
    // A and B are hospitals (accounts 1, 2), C a payer (account 3). A anchors sequences 1 and 2, B sequence 1.
    const deployer = await fixture().signer(0);
    const consortium = (await consortiumFactory
      .connect(deployer)
      .deploy(['hospital-a', 'hospital-b', 'payer-c'], [HOSPITAL, HOSPITAL, PAYER], [addr(1), addr(2), addr(3)], 3600)) as unknown as Registry;
    await consortium.waitForDeployment();
    anchors = (await anchorFactory.connect(deployer).deploy(await consortium.getAddress())) as unknown as Registry;
    await anchors.waitForDeployment();
    registry = (await claimFactory.connect(deployer).deploy(await anchors.getAddress())) as unknown as Registry;
    await registry.waitForDeployment();
    await anchorAs(1, 1, id('a1'), ZeroHash);
    await anchorAs(1, 2, id('a2'), id('a1'));
    await anchorAs(2, 1, id('b1'), ZeroHash);
  });

  it('needs an anchor registry with code, and takes its consortium from it', async () => {
    const deployer = await fixture().signer(0);
    await expectRevert(claimFactory.connect(deployer).deploy(addr(7)), iface, 'ClaimRegistryInvalidAnchorRegistry', [addr(7)]);
    expect((await registry.anchors()).toLowerCase()).toBe((await anchors.getAddress()).toLowerCase());
    expect((await registry.consortium()).toLowerCase()).toBe((await anchors.consortium()).toLowerCase());
  });

  it('accepts only signers of active HOSPITAL members', async () => {
    await expectRevert((await as(7)).register(1, [tag('x')], [fp('x')]), iface, 'ClaimRegistryNotHospital', [addr(7)]);
    await expectRevert((await as(3)).register(1, [tag('x')], [fp('x')]), iface, 'ClaimRegistryNotHospital', [addr(3)]);
  });

  it('rejects no lines, and claim tags and fingerprints of different lengths', async () => {
    await expectRevert((await as(1)).register(1, [], []), iface, 'ClaimRegistryLengthMismatch', [0, 0]);
    await expectRevert((await as(1)).register(1, [tag('x')], [fp('x'), fp('y')]), iface, 'ClaimRegistryLengthMismatch', [1, 2]);
  });

  it('rejects more than MAX_LINES lines in one transaction', async () => {
    const lines = Array.from({ length: 129 }, (_, i) => String(i));
    expect(await registry.MAX_LINES()).toBe(128n);
    await expectRevert((await as(1)).register(1, lines.map(tag), lines.map(fp)), iface, 'ClaimRegistryTooManyLines', [129, 128]);
  });

  it('rejects an anchor sequence the member has not anchored (zero or after its latest)', async () => {
    await expectRevert((await as(1)).register(0, [tag('x')], [fp('x')]), iface, 'ClaimRegistryUnknownAnchor', [A, 0, 2]);
    await expectRevert((await as(1)).register(3, [tag('x')], [fp('x')]), iface, 'ClaimRegistryUnknownAnchor', [A, 3, 2]);
    await expectRevert((await as(2)).register(2, [tag('x')], [fp('x')]), iface, 'ClaimRegistryUnknownAnchor', [B, 2, 1]);
  });

  it('rejects a zero fingerprint and a zero claim tag, naming the line', async () => {
    await expectRevert((await as(1)).register(1, [tag('x'), tag('y')], [fp('x'), ZeroHash]), iface, 'ClaimRegistryZeroFingerprint', [1]);
    await expectRevert((await as(1)).register(1, [ZeroHash], [fp('x')]), iface, 'ClaimRegistryZeroClaimTag', [0]);
  });

  it('registers lines with events and keeps every registration of a fingerprint in chain order', async () => {
    const first = await (await (await as(1)).register(1, [tag('a-claim-1'), tag('a-claim-1')], [fp('office visit'), fp('x-ray')])).wait();
    expect(eventsOf(first, iface)).toEqual([
      event('ClaimLineRegistered', fp('office visit'), A, 1, tag('a-claim-1')),
      event('ClaimLineRegistered', fp('x-ray'), A, 1, tag('a-claim-1')),
    ]);
    // The same service billed again by hospital B: found by the fingerprint alone.
    await (await (await as(2)).register(1, [tag('b-claim-7')], [fp('office visit')])).wait();
    const found = await registry.registrationsOf(fp('office visit'));
    expect(found.map((r: any) => [r.member.toLowerCase(), r.claimTag.toLowerCase(), r.anchorSequence])).toEqual([
      [A, tag('a-claim-1'), 1n],
      [B, tag('b-claim-7'), 1n],
    ]);
    expect(await registry.isRegistered(fp('x-ray'), A, tag('a-claim-1'))).toBe(true);
    expect(await registry.isRegistered(fp('x-ray'), B, tag('a-claim-1'))).toBe(false);
    expect(await registry.registrationsOf(fp('never'))).toEqual([]);
  });

  it('refuses the same fingerprint for the same claim twice, even from a later anchor', async () => {
    await expectRevert((await as(1)).register(2, [tag('a-claim-1')], [fp('x-ray')]), iface, 'ClaimRegistryAlreadyRegistered', [fp('x-ray'), A, tag('a-claim-1'), 2]);
    // Another claim of the same member with the same service is a new registration: a duplicate to find.
    await (await (await as(1)).register(2, [tag('a-claim-2')], [fp('x-ray')])).wait();
    expect((await registry.registrationsOf(fp('x-ray'))).length).toBe(2);
  });

  it('reads registrations with their transaction through the EVM port', async () => {
    const port = new EvmClaimFingerprintPort(await registry.getAddress(), fixture().provider, null);
    const records = await port.registrations(fp('office visit'));
    expect(records.map((r) => ({ member: r.member, claimTag: r.claimTag, anchorSequence: r.anchorSequence }))).toEqual([
      { member: A, claimTag: tag('a-claim-1'), anchorSequence: 1n },
      { member: B, claimTag: tag('b-claim-7'), anchorSequence: 1n },
    ]);
    for (const record of records) {
      const receipt = await fixture().provider.getTransactionReceipt(record.txHash);
      expect(receipt?.blockNumber).toBe(record.blockNumber);
      expect(record.blockTime).toBe((await fixture().provider.getBlock(record.blockNumber))!.timestamp);
    }
    await expect(port.register(1n, [{ claimTag: tag('z'), fingerprint: fp('z') }])).rejects.toThrow(/read-only/);
  });
});
