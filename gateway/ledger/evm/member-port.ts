import { Contract, type JsonRpcProvider, ZeroHash } from 'ethers';
import { type Hex, type Member, MemberRole, type MemberPort, type MemberRoleName } from '../ports.js';
import { consortiumRegistryInterface } from './contracts.js';

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
    const member = (await this.registry.getFunction('getMember')(memberId)) as OnChainMember;
    return {
      memberId: memberId.toLowerCase() as Hex,
      orgId: member.orgId,
      roles: Number(member.roles),
      active: member.active,
      signers: member.signers.map((s) => s.toLowerCase() as Hex),
    };
  }

  async hasRole(signer: Hex, role: MemberRoleName): Promise<boolean> {
    return (await this.registry.getFunction('hasRole')(signer, MemberRole[role])) as boolean;
  }
}
