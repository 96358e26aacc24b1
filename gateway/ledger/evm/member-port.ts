import { Contract, type JsonRpcProvider, ZeroHash } from 'ethers';
import { type Hex, type Member, MemberRole, type MemberPort, type MemberRoleName } from '../ports.js';
import { consortiumRegistryInterface } from './contracts.js';
import { decodeRevert } from './revert.js';

interface OnChainMember {
  orgId: string;
  roles: bigint;
  active: boolean;
  signers: string[];
}

/** MemberPort over ConsortiumRegistry. */
export class EvmMemberPort implements MemberPort {
  private readonly registry: Contract;

  constructor(address: Hex, provider: JsonRpcProvider) {
    this.registry = new Contract(address, consortiumRegistryInterface, provider);
  }

  async getMember(signer: Hex): Promise<(Member & { memberId: Hex }) | null> {
    const memberId = (await this.registry.getFunction('memberOfSigner')(signer)) as string;
    if (memberId === ZeroHash) return null;
    return { memberId: memberId.toLowerCase() as Hex, ...(await this.read(memberId)) };
  }

  async hasRole(signer: Hex, role: MemberRoleName): Promise<boolean> {
    return (await this.registry.getFunction('hasRole')(signer, MemberRole[role])) as boolean;
  }

  async getMemberById(memberId: Hex): Promise<Member | null> {
    try {
      return await this.read(memberId);
    } catch (error) {
      if (decodeRevert(error, consortiumRegistryInterface)?.name === 'ConsortiumRegistryUnknownMember') return null;
      throw error;
    }
  }

  async listMembers(): Promise<(Member & { memberId: Hex })[]> {
    const count = Number(await this.registry.getFunction('memberCount')());
    const members: (Member & { memberId: Hex })[] = [];
    for (let i = 0; i < count; i++) {
      const memberId = ((await this.registry.getFunction('memberIdAt')(i)) as string).toLowerCase() as Hex;
      members.push({ memberId, ...(await this.read(memberId)) });
    }
    return members;
  }

  private async read(memberId: string): Promise<Member> {
    const member = (await this.registry.getFunction('getMember')(memberId)) as OnChainMember;
    return {
      orgId: member.orgId,
      roles: Number(member.roles),
      active: member.active,
      signers: member.signers.map((s) => s.toLowerCase() as Hex),
    };
  }
}
