import { type BaseContract, ContractFactory, type ContractTransactionResponse, ZeroAddress, getAddress as cs, id } from 'ethers';
import { beforeAll, describe, expect, it } from 'vitest';
import { useEmbeddedChain } from '../../test/support/chain-fixture.js';
import { artifacts } from './artifacts.js';
import { event, eventsOf } from './contract-events.js';
import { expectRevert } from './revert-assertions.js';

const HOSPITAL = 1;
const PAYER = 2;
const RESEARCHER = 4;
const LICENSING = 8;
const EMERGENCY = 16;
const PERIOD = 3600;
const artifact = artifacts.ConsortiumRegistry;
const factory = new ContractFactory(artifact.abi as never, artifact.bytecode);
const iface = factory.interface;

const fixture = useEmbeddedChain();
const addr = (i: number) => fixture().chain.accounts[i]!.address;
const A = id('hospital-a');
const B = id('hospital-b');
const C = id('payer-c');
const D = id('research-d');
const E = id('hospital-e');

// ethers types contract methods loosely; views and sends share one call shape here.
type Registry = BaseContract & Record<string, (...args: unknown[]) => Promise<any>>;

async function deploy(orgIds: string[], roles: number[], signers: string[], period = PERIOD): Promise<Registry> {
  const contract = await factory.connect(await fixture().signer(0)).deploy(orgIds, roles, signers, period);
  await contract.waitForDeployment();
  return contract as unknown as Registry;
}

function deployCall(orgIds: string[], roles: number[], signers: string[], period = PERIOD) {
  return fixture().signer(0).then((s) => factory.connect(s).deploy(orgIds, roles, signers, period));
}

async function as(registry: Registry, account: number): Promise<Registry> {
  return registry.connect(await fixture().signer(account)) as Registry;
}

async function mined(tx: Promise<ContractTransactionResponse>) {
  return (await tx).wait();
}

async function increaseTime(seconds: number): Promise<void> {
  await fixture().provider.send('evm_increaseTime', [seconds]);
  await fixture().provider.send('evm_mine', []);
}

/** The four founding members: A and B hospitals, C a payer, D a researcher with licensing. */
async function foundingRegistry(): Promise<Registry> {
  return deploy(
    ['hospital-a', 'hospital-b', 'payer-c', 'research-d'],
    [HOSPITAL | EMERGENCY, HOSPITAL, PAYER, RESEARCHER | LICENSING],
    [addr(1), addr(2), addr(3), addr(4)],
  );
}

describe('ConsortiumRegistry constructor', () => {
  it('registers the bootstrap members and emits their events', async () => {
    const registry = await foundingRegistry();
    const receipt = await registry.deploymentTransaction()!.wait();
    expect(eventsOf(receipt, iface)).toEqual([
      event('MemberAdded', A, 'hospital-a', HOSPITAL | EMERGENCY),
      event('SignerAdded', A, addr(1)),
      event('MemberAdded', B, 'hospital-b', HOSPITAL),
      event('SignerAdded', B, addr(2)),
      event('MemberAdded', C, 'payer-c', PAYER),
      event('SignerAdded', C, addr(3)),
      event('MemberAdded', D, 'research-d', RESEARCHER | LICENSING),
      event('SignerAdded', D, addr(4)),
    ]);
    expect(await registry.memberCount()).toBe(4n);
    expect(await registry.activeMemberCount()).toBe(4n);
    expect(await registry.requiredApprovals()).toBe(3n);
    expect(await registry.memberIdAt(2)).toBe(C);
    expect(await registry.votingPeriod()).toBe(BigInt(PERIOD));
    expect(await registry.memberOfSigner(addr(2))).toBe(B);
    expect(await registry.memberOfSigner(addr(7))).toBe(`0x${'0'.repeat(64)}`);
    const member = await registry.getMember(A);
    expect([member.orgId, member.roles, member.active, [...member.signers]]).toEqual(['hospital-a', 17n, true, [addr(1)].map(cs)]);
    expect(await registry.hasRole(addr(1), HOSPITAL)).toBe(true);
    expect(await registry.hasRole(addr(1), HOSPITAL | EMERGENCY)).toBe(true);
    expect(await registry.hasRole(addr(1), PAYER)).toBe(false);
    expect(await registry.hasRole(addr(1), 0)).toBe(false);
    expect(await registry.hasRole(addr(7), HOSPITAL)).toBe(false);
    await expectRevert(registry.getMember(E), iface, 'ConsortiumRegistryUnknownMember', [E]);
    await expectRevert(registry.getProposal(1), iface, 'ConsortiumRegistryUnknownProposal', [1]);
  });

  it('rejects malformed bootstrap lists', async () => {
    await expectRevert(deployCall([], [], []), iface, 'ConsortiumRegistryBootstrapMismatch', [0, 0, 0]);
    await expectRevert(deployCall(['a', 'b'], [1], [addr(1), addr(2)]), iface, 'ConsortiumRegistryBootstrapMismatch', [2, 1, 2]);
    await expectRevert(deployCall(['a'], [1], [addr(1)], 0), iface, 'ConsortiumRegistryInvalidVotingPeriod', [0]);
    await expectRevert(deployCall([''], [1], [addr(1)]), iface, 'ConsortiumRegistryEmptyOrgId');
    await expectRevert(deployCall(['a', 'a'], [1, 1], [addr(1), addr(2)]), iface, 'ConsortiumRegistryMemberExists', [id('a')]);
    await expectRevert(deployCall(['a'], [0], [addr(1)]), iface, 'ConsortiumRegistryInvalidRoles', [0]);
    await expectRevert(deployCall(['a'], [32], [addr(1)]), iface, 'ConsortiumRegistryInvalidRoles', [32]);
    await expectRevert(deployCall(['a'], [1], [ZeroAddress]), iface, 'ConsortiumRegistryZeroSigner');
    await expectRevert(deployCall(['a', 'b'], [1, 1], [addr(1), addr(1)]), iface, 'ConsortiumRegistrySignerTaken', [addr(1), id('a')]);
  });
});

describe('ConsortiumRegistry votes', () => {
  let registry: Registry;
  beforeAll(async () => {
    registry = await foundingRegistry();
  });

  it('rejects proposals and approvals from non-members', async () => {
    await expectRevert((await as(registry, 7)).proposeGrantRole(A, PAYER), iface, 'ConsortiumRegistryNotMemberSigner', [addr(7)]);
    await expectRevert((await as(registry, 7)).approve(1), iface, 'ConsortiumRegistryNotMemberSigner', [addr(7)]);
    await expectRevert((await as(registry, 7)).execute(1), iface, 'ConsortiumRegistryNotMemberSigner', [addr(7)]);
  });

  it('adds a member once a strict majority approves, one vote per member', async () => {
    const proposal = await mined((await as(registry, 1)).proposeAddMember('hospital-e', HOSPITAL, addr(6)));
    const { timestamp } = (await fixture().provider.getBlock(proposal!.blockNumber))!;
    expect(eventsOf(proposal, iface)).toEqual([
      event('ProposalCreated', 1, 0, E, A, timestamp + PERIOD),
      event('ProposalApproved', 1, A, 1),
    ]);
    await expectRevert((await as(registry, 1)).approve(1), iface, 'ConsortiumRegistryAlreadyApproved', [1, A]);
    await expectRevert((await as(registry, 1)).execute(1), iface, 'ConsortiumRegistryThresholdNotMet', [1, 1, 3]);

    expect(eventsOf(await mined((await as(registry, 2)).approve(1)), iface)).toEqual([event('ProposalApproved', 1, B, 2)]);
    expect(await registry.hasApproved(1, B)).toBe(true);
    expect(await registry.hasApproved(1, C)).toBe(false);
    expect(eventsOf(await mined((await as(registry, 3)).approve(1)), iface)).toEqual([
      event('ProposalApproved', 1, C, 3),
      event('MemberAdded', E, 'hospital-e', HOSPITAL),
      event('SignerAdded', E, addr(6)),
      event('ProposalExecuted', 1),
    ]);
    const p = await registry.getProposal(1);
    expect([p.kind, p.memberId, p.orgId, p.roles, p.signer, p.proposer, p.executed, [...p.approvers]]).toEqual([
      0n, E, 'hospital-e', BigInt(HOSPITAL), cs(addr(6)), A, true, [A, B, C],
    ]);
    expect(await registry.activeMemberCount()).toBe(5n);
    expect(await registry.requiredApprovals()).toBe(3n);
    expect(await registry.proposalCount()).toBe(1n);
    expect(await registry.hasRole(addr(6), HOSPITAL)).toBe(true);
    await expectRevert((await as(registry, 4)).approve(1), iface, 'ConsortiumRegistryProposalAlreadyExecuted', [1]);
    await expectRevert((await as(registry, 4)).execute(1), iface, 'ConsortiumRegistryProposalAlreadyExecuted', [1]);
    await expectRevert((await as(registry, 4)).approve(99), iface, 'ConsortiumRegistryUnknownProposal', [99]);
    await expectRevert((await as(registry, 4)).execute(99), iface, 'ConsortiumRegistryUnknownProposal', [99]);
  });

  it('counts a member with two signers once', async () => {
    await mined((await as(registry, 1)).proposeAddSigner(A, addr(5)));
    await mined((await as(registry, 2)).approve(2));
    const executed = await mined((await as(registry, 3)).approve(2));
    expect(eventsOf(executed, iface).slice(1)).toEqual([event('SignerAdded', A, addr(5)), event('ProposalExecuted', 2)]);
    expect(await registry.memberOfSigner(addr(5))).toBe(A);

    await mined((await as(registry, 2)).proposeGrantRole(C, RESEARCHER));
    await mined((await as(registry, 1)).approve(3));
    await expectRevert((await as(registry, 5)).approve(3), iface, 'ConsortiumRegistryAlreadyApproved', [3, A]);
    expect(eventsOf(await mined((await as(registry, 4)).approve(3)), iface).slice(1)).toEqual([
      event('RoleGranted', C, RESEARCHER),
      event('ProposalExecuted', 3),
    ]);
    expect(await registry.hasRole(addr(3), PAYER | RESEARCHER)).toBe(true);
  });

  it('revokes roles and removes signers', async () => {
    await mined((await as(registry, 5)).proposeRevokeRole(A, EMERGENCY));
    await mined((await as(registry, 2)).approve(4));
    expect(eventsOf(await mined((await as(registry, 3)).approve(4)), iface).slice(1)).toEqual([
      event('RoleRevoked', A, EMERGENCY),
      event('ProposalExecuted', 4),
    ]);
    expect(await registry.hasRole(addr(1), EMERGENCY)).toBe(false);

    await mined((await as(registry, 2)).proposeRemoveSigner(A, addr(1)));
    await mined((await as(registry, 3)).approve(5));
    expect(eventsOf(await mined((await as(registry, 4)).approve(5)), iface).slice(1)).toEqual([
      event('SignerRemoved', A, addr(1)),
      event('ProposalExecuted', 5),
    ]);
    expect(await registry.memberOfSigner(addr(1))).toBe(`0x${'0'.repeat(64)}`);
    expect(await registry.hasRole(addr(1), HOSPITAL)).toBe(false);
    expect([...(await registry.getMember(A)).signers]).toEqual([cs(addr(5))]);
    await expectRevert((await as(registry, 1)).proposeGrantRole(A, PAYER), iface, 'ConsortiumRegistryNotMemberSigner', [addr(1)]);
    // A removed key never comes back, not even to its old member.
    await expectRevert((await as(registry, 5)).proposeAddSigner(A, addr(1)), iface, 'ConsortiumRegistrySignerTaken', [addr(1), A]);
  });

  it('validates every proposal when it is made', async () => {
    const a = await as(registry, 5);
    await expectRevert(a.proposeAddMember('', HOSPITAL, addr(8)), iface, 'ConsortiumRegistryEmptyOrgId');
    await expectRevert(a.proposeAddMember('payer-c', PAYER, addr(8)), iface, 'ConsortiumRegistryMemberExists', [C]);
    await expectRevert(a.proposeAddMember('x', 0, addr(8)), iface, 'ConsortiumRegistryInvalidRoles', [0]);
    await expectRevert(a.proposeAddMember('x', 64, addr(8)), iface, 'ConsortiumRegistryInvalidRoles', [64]);
    await expectRevert(a.proposeAddMember('x', PAYER, ZeroAddress), iface, 'ConsortiumRegistryZeroSigner');
    await expectRevert(a.proposeAddMember('x', PAYER, addr(2)), iface, 'ConsortiumRegistrySignerTaken', [addr(2), B]);
    await expectRevert(a.proposeRemoveMember(id('nobody')), iface, 'ConsortiumRegistryUnknownMember', [id('nobody')]);
    await expectRevert(a.proposeGrantRole(A, 3), iface, 'ConsortiumRegistryInvalidRole', [3]);
    await expectRevert(a.proposeGrantRole(A, 0), iface, 'ConsortiumRegistryInvalidRole', [0]);
    await expectRevert(a.proposeGrantRole(A, 32), iface, 'ConsortiumRegistryInvalidRole', [32]);
    await expectRevert(a.proposeGrantRole(A, HOSPITAL), iface, 'ConsortiumRegistryRoleAlreadyGranted', [A, HOSPITAL]);
    await expectRevert(a.proposeRevokeRole(B, PAYER), iface, 'ConsortiumRegistryRoleNotGranted', [B, PAYER]);
    await expectRevert(a.proposeRevokeRole(B, 5), iface, 'ConsortiumRegistryInvalidRole', [5]);
    await expectRevert(a.proposeGrantRole(id('nobody'), PAYER), iface, 'ConsortiumRegistryUnknownMember', [id('nobody')]);
    await expectRevert(a.proposeAddSigner(B, ZeroAddress), iface, 'ConsortiumRegistryZeroSigner');
    await expectRevert(a.proposeAddSigner(B, addr(3)), iface, 'ConsortiumRegistrySignerTaken', [addr(3), C]);
    await expectRevert(a.proposeRemoveSigner(B, addr(3)), iface, 'ConsortiumRegistrySignerNotOfMember', [B, addr(3)]);
    await expectRevert(a.proposeRemoveSigner(B, addr(2)), iface, 'ConsortiumRegistryLastSigner', [B, addr(2)]);
  });

  it('expires proposals after the voting period', async () => {
    const receipt = await mined((await as(registry, 2)).proposeGrantRole(D, PAYER));
    const created = eventsOf(receipt, iface)[0]!;
    const [proposalId, , , , deadline] = created.args as bigint[];
    await increaseTime(PERIOD + 1);
    await expectRevert((await as(registry, 3)).approve(proposalId), iface, 'ConsortiumRegistryProposalExpired', [proposalId, deadline]);
    await expectRevert((await as(registry, 3)).execute(proposalId), iface, 'ConsortiumRegistryProposalExpired', [proposalId, deadline]);
  });

  it('removes a member, after which its approvals stop counting and execute() can finish a proposal', async () => {
    // P gets approvals from D and A: 2 of the 3 required while 4 or 5 members are active.
    const p = eventsOf(await mined((await as(registry, 4)).proposeGrantRole(D, EMERGENCY)), iface)[0]!.args[0] as bigint;
    await mined((await as(registry, 5)).approve(p));
    await expectRevert((await as(registry, 2)).execute(p), iface, 'ConsortiumRegistryThresholdNotMet', [p, 2, 3]);

    // Removing E (5 -> 4 active) keeps the threshold at 3; removing C as well (-> 3 active) drops it
    // to 2, and P can then be executed without another vote.
    const r = eventsOf(await mined((await as(registry, 6)).proposeRemoveMember(E)), iface)[0]!.args[0] as bigint;
    await mined((await as(registry, 2)).approve(r));
    expect(eventsOf(await mined((await as(registry, 3)).approve(r)), iface).slice(1)).toEqual([
      event('MemberRemoved', E),
      event('ProposalExecuted', r),
    ]);
    expect(await registry.activeMemberCount()).toBe(4n);
    expect((await registry.getMember(E)).active).toBe(false);
    expect(await registry.hasRole(addr(6), HOSPITAL)).toBe(false);
    await expectRevert((await as(registry, 6)).approve(p), iface, 'ConsortiumRegistryNotMemberSigner', [addr(6)]);
    await expectRevert((await as(registry, 2)).proposeGrantRole(E, PAYER), iface, 'ConsortiumRegistryMemberInactive', [E]);
    await expectRevert((await as(registry, 2)).proposeRemoveMember(E), iface, 'ConsortiumRegistryMemberInactive', [E]);
    await expectRevert((await as(registry, 2)).proposeAddMember('hospital-e', HOSPITAL, addr(8)), iface, 'ConsortiumRegistryMemberExists', [E]);

    const q = eventsOf(await mined((await as(registry, 5)).proposeRemoveMember(C)), iface)[0]!.args[0] as bigint;
    await mined((await as(registry, 2)).approve(q));
    await mined((await as(registry, 4)).approve(q));
    expect(await registry.requiredApprovals()).toBe(2n);
    expect(eventsOf(await mined((await as(registry, 2)).execute(p)), iface)).toEqual([
      event('RoleGranted', D, EMERGENCY),
      event('ProposalExecuted', p),
    ]);
  });

  it('re-validates a proposal when it executes', async () => {
    // Two proposals race to add the same key; the second one cannot execute once the first did.
    const first = eventsOf(await mined((await as(registry, 2)).proposeAddSigner(B, addr(8))), iface)[0]!.args[0] as bigint;
    const second = eventsOf(await mined((await as(registry, 5)).proposeAddSigner(A, addr(8))), iface)[0]!.args[0] as bigint;
    await mined((await as(registry, 5)).approve(first));
    expect(await registry.memberOfSigner(addr(8))).toBe(B);
    await expectRevert((await as(registry, 2)).approve(second), iface, 'ConsortiumRegistrySignerTaken', [addr(8), B]);
  });
});

describe('ConsortiumRegistry with a single member', () => {
  it('executes its own proposals at once and cannot remove itself', async () => {
    const registry = await deploy(['solo'], [HOSPITAL], [addr(1)]);
    expect(await registry.requiredApprovals()).toBe(1n);
    const receipt = await mined((await as(registry, 1)).proposeGrantRole(id('solo'), PAYER));
    expect(eventsOf(receipt, iface).map((e) => e.name)).toEqual(['ProposalCreated', 'ProposalApproved', 'RoleGranted', 'ProposalExecuted']);
    await expectRevert((await as(registry, 1)).proposeRemoveMember(id('solo')), iface, 'ConsortiumRegistryLastActiveMember', [id('solo')]);
  });
});
