import { type BaseContract, ContractFactory, ZeroAddress, ZeroHash, id } from 'ethers';
import { beforeAll, describe, expect, it } from 'vitest';
import { useEmbeddedChain } from '../../test/support/chain-fixture.js';
import { artifacts } from './artifacts.js';
import { event, eventsOf } from './contract-events.js';
import { deployed, mined } from './mined-receipt.js';
import { expectRevert, normalize } from './revert-assertions.js';

const consortiumFactory = new ContractFactory(artifacts.ConsortiumRegistry.abi as never, artifacts.ConsortiumRegistry.bytecode);
const licenceFactory = new ContractFactory(artifacts.LicenceRegistry.abi as never, artifacts.LicenceRegistry.bytecode);
const consortiumIface = consortiumFactory.interface;
const iface = licenceFactory.interface;
const HOSPITAL = 1;
const LICENSING = 8;
const BOARD = id('medical-board') as string;

const fixture = useEmbeddedChain();
const addr = (i: number) => fixture().chain.accounts[i]!.address;

type Registry = BaseContract & Record<string, (...args: unknown[]) => Promise<any>>;

describe('LicenceRegistry', () => {
  let registry: Registry;
  let consortium: Registry;
  // Accounts: 1 medical board (LICENSING), 2 hospital, 3 nursing board (LICENSING), 4 the board's
  // second signer once added, 6 and 7 practitioners' keys.
  const as = async (i: number) => registry.connect(await fixture().signer(i)) as Registry;
  const now = async () => (await fixture().provider.getBlock('latest'))!.timestamp;
  let serial = 0;
  const credential = () => id(`credential-${serial++}`);

  async function issued(subject = addr(6), from?: number, until?: number): Promise<{ hash: string; timestamp: number; from: number; until: number }> {
    const t = await now();
    const hash = credential();
    const window = { from: from ?? t - 60, until: until ?? t + 86_400 };
    const receipt = await mined((await as(1)).issue(hash, subject, window.from, window.until));
    const { timestamp } = (await fixture().provider.getBlock(receipt.blockNumber))!;
    return { hash, timestamp, ...window };
  }

  beforeAll(async () => {
    const deployer = await fixture().signer(0);
    consortium = (await deployed(
      consortiumFactory.connect(deployer).deploy(['medical-board', 'hospital-b', 'nursing-board'], [LICENSING, HOSPITAL, LICENSING], [addr(1), addr(2), addr(3)], 3600),
    )) as unknown as Registry;
    registry = (await deployed(licenceFactory.connect(deployer).deploy(await consortium.getAddress()))) as unknown as Registry;
  });

  it('needs a consortium registry with code', async () => {
    const deployer = await fixture().signer(0);
    await expectRevert(licenceFactory.connect(deployer).deploy(addr(7)), iface, 'LicenceRegistryInvalidConsortium', [addr(7)]);
  });

  it('records a licence issued by a LICENSING member, indexed by its subject', async () => {
    const t = await now();
    const hash = credential();
    const before = await registry.licenceCount(addr(7));
    const receipt = await mined((await as(1)).issue(hash, addr(7), t - 10, t + 3600));
    expect(eventsOf(receipt, iface)).toEqual([event('LicenceIssued', hash, addr(7), BOARD, t - 10, t + 3600)]);
    const l = await registry.getLicence(hash);
    expect(normalize([l.issuerMember, l.subject, l.validFrom, l.validUntil, l.revokedAt])).toEqual(normalize([BOARD, addr(7), t - 10, t + 3600, 0n]));
    expect(await registry.licenceCount(addr(7))).toBe(before + 1n);
    expect(await registry.licenceOf(addr(7), before)).toBe(hash);
    expect(await registry.isValid(hash, addr(7), t)).toBe(true);
  });

  it('accepts a licence that starts in the future, valid only from then', async () => {
    const t = await now();
    const { hash } = await issued(addr(6), t + 1000, t + 2000);
    expect(await registry.isValid(hash, addr(6), t)).toBe(false);
    expect(await registry.isValid(hash, addr(6), t + 1000)).toBe(true);
    expect(await registry.isValid(hash, addr(6), t + 1999)).toBe(true);
    expect(await registry.isValid(hash, addr(6), t + 2000)).toBe(false);
  });

  it('is valid only for its subject', async () => {
    const { hash, timestamp } = await issued(addr(6));
    expect(await registry.isValid(hash, addr(7), timestamp)).toBe(false);
    expect(await registry.isValid(credential(), addr(6), timestamp)).toBe(false);
  });

  it('refuses issuers that are not signers of an active LICENSING member', async () => {
    const t = await now();
    await expectRevert((await as(2)).issue(credential(), addr(6), t, t + 60), iface, 'LicenceRegistryNotLicensingMember', [addr(2)]);
    await expectRevert((await as(8)).issue(credential(), addr(6), t, t + 60), iface, 'LicenceRegistryNotLicensingMember', [addr(8)]);
  });

  it('refuses a zero credential hash', async () => {
    const t = await now();
    await expectRevert((await as(1)).issue(ZeroHash, addr(6), t, t + 60), iface, 'LicenceRegistryZeroCredentialHash');
  });

  it('refuses a zero subject', async () => {
    const t = await now();
    await expectRevert((await as(1)).issue(credential(), ZeroAddress, t, t + 60), iface, 'LicenceRegistryZeroSubject');
  });

  it('refuses an empty window and one already over', async () => {
    const t = await now();
    // The block the call runs in is the next one: anvil mines it at t or later, so the error's
    // time is read back from the revert rather than guessed.
    for (const [from, until] of [
      [t + 100, t + 100],
      [t + 100, t + 50],
      [t - 100, t - 10],
    ]) {
      let caught: unknown;
      try {
        await (await as(1)).issue(credential(), addr(6), from, until);
      } catch (error) {
        caught = error;
      }
      const decoded = iface.parseError((caught as { data: string }).data)!;
      expect(decoded.name).toBe('LicenceRegistryInvalidPeriod');
      expect([decoded.args[0], decoded.args[1]]).toEqual([BigInt(from!), BigInt(until!)]);
      expect(Number(decoded.args[2])).toBeGreaterThanOrEqual(t);
    }
  });

  it('never issues the same credential twice', async () => {
    const { hash, from, until } = await issued();
    await expectRevert((await as(1)).issue(hash, addr(6), from, until), iface, 'LicenceRegistryAlreadyIssued', [hash]);
    // Not even by another board, nor to another subject.
    await expectRevert((await as(3)).issue(hash, addr(7), from, until), iface, 'LicenceRegistryAlreadyIssued', [hash]);
  });

  it('revokes at the block time, only by the issuer, once', async () => {
    const { hash, timestamp: issuedAt } = await issued(addr(6));
    await expectRevert((await as(3)).revoke(hash), iface, 'LicenceRegistryNotIssuer', [hash, BOARD, addr(3)]);
    await expectRevert((await as(2)).revoke(hash), iface, 'LicenceRegistryNotIssuer', [hash, BOARD, addr(2)]);
    const receipt = await mined((await as(1)).revoke(hash));
    expect(eventsOf(receipt, iface)).toEqual([event('LicenceRevoked', hash, addr(6), BOARD)]);
    const { timestamp } = (await fixture().provider.getBlock(receipt.blockNumber))!;
    expect((await registry.getLicence(hash)).revokedAt).toBe(BigInt(timestamp));
    // Valid before the revocation (a past encounter still checks out), not from it on.
    expect(await registry.isValid(hash, addr(6), issuedAt)).toBe(timestamp > issuedAt);
    expect(await registry.isValid(hash, addr(6), timestamp)).toBe(false);
    await expectRevert((await as(1)).revoke(hash), iface, 'LicenceRegistryAlreadyRevoked', [hash, timestamp]);
  });

  it('reports an unknown credential as such', async () => {
    const unknown = credential();
    await expectRevert(registry.getLicence(unknown), iface, 'LicenceRegistryUnknownCredential', [unknown]);
    await expectRevert((await as(1)).revoke(unknown), iface, 'LicenceRegistryUnknownCredential', [unknown]);
  });

  it('refuses an index past the subject\'s credentials', async () => {
    const count = (await registry.licenceCount(addr(9))) as bigint;
    await expectRevert(registry.licenceOf(addr(9), count), iface, 'LicenceRegistryIndexOutOfRange', [addr(9), count, count]);
  });

  it('expires at validUntil, and can still be revoked afterwards', async () => {
    const t = await now();
    const { hash } = await issued(addr(6), t - 10, t + 30);
    expect(await registry.isValid(hash, addr(6), t + 29)).toBe(true);
    expect(await registry.isValid(hash, addr(6), t + 30)).toBe(false);
    // A finding after the fact: the issuer revokes a licence that has run out.
    await mined((await as(1)).revoke(hash));
    expect((await registry.getLicence(hash)).revokedAt).not.toBe(0n);
  });

  it('stops counting a board\'s licences when the consortium revokes its LICENSING role, while it can still revoke them', async () => {
    const { hash, timestamp } = await issued(addr(6));
    const { hash: other } = await issued(addr(7));
    expect(await registry.isValid(hash, addr(6), timestamp)).toBe(true);
    // The nursing board proposes revoking the medical board's role and the hospital approves (2 of 3).
    const proposal = await mined((consortium.connect(await fixture().signer(3)) as Registry).proposeRevokeRole(BOARD, LICENSING));
    const proposalId = consortiumIface.parseLog(proposal.logs[0]!)!.args[0] as bigint;
    await mined((consortium.connect(await fixture().signer(2)) as Registry).approve(proposalId));
    expect(await registry.isValid(hash, addr(6), timestamp)).toBe(false);
    await expectRevert((await as(1)).issue(credential(), addr(6), timestamp, timestamp + 3600), iface, 'LicenceRegistryNotLicensingMember', [addr(1)]);
    await mined((await as(1)).revoke(other));
    expect((await registry.getLicence(other)).revokedAt).not.toBe(0n);
  });
});
