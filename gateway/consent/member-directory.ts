// Signer address -> consortium member, from ConsortiumRegistry, remembered for a few seconds so a
// warm read costs no RPC. A removed member or signer stops working within `ttlMs`.

import type { Hex, Member, MemberPort } from '../ledger/ports.js';

export type MemberRecord = Member & { memberId: Hex };

export class MemberDirectory {
  private readonly cache = new Map<Hex, { member: MemberRecord | null; until: number }>();

  constructor(
    private readonly members: MemberPort,
    private readonly ttlMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The active member `signer` acts for, or null. */
  async memberOf(signer: Hex): Promise<MemberRecord | null> {
    const cached = this.cache.get(signer);
    if (cached && cached.until > this.now()) return cached.member;
    const member = await this.members.getMember(signer);
    const active = member && member.active && member.signers.includes(signer) ? member : null;
    this.cache.set(signer, { member: active, until: this.now() + this.ttlMs });
    return active;
  }
}
