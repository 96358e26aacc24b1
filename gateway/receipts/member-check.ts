// The `member` check of receipt verification, answered from the consortium registry: the
// address that sent the anchor belongs to the member the anchor is filed under, that member is
// active, and it holds the HOSPITAL role.
import { MemberRole, type AnchorRecord, type MemberPort } from '../ledger/ports.js';
import type { MemberCheck, MemberVerdict } from './verify.js';

/**
 * A MemberCheck backed by the registry's current state. A member removed after anchoring fails
 * the check: payers decide whether to accept anchors of former members, so the verdict
 * reports the present and the reason says so.
 */
export function hospitalMemberCheck(members: MemberPort): MemberCheck {
  return async (anchor: AnchorRecord): Promise<MemberVerdict> => {
    const member = await members.getMember(anchor.submitter);
    if (member === null) {
      return { ok: false, reason: `Submitter ${anchor.submitter} is not a signer of any registered member.` };
    }
    if (member.memberId.toLowerCase() !== anchor.member.toLowerCase()) {
      return {
        ok: false,
        reason: `Submitter ${anchor.submitter} signs for member ${member.memberId}, not ${anchor.member} under which the anchor is filed.`,
      };
    }
    if (!member.active) return { ok: false, reason: `Member ${member.orgId} (${member.memberId}) is no longer active.` };
    if ((member.roles & MemberRole.HOSPITAL) === 0) {
      return { ok: false, reason: `Member ${member.orgId} (${member.memberId}) does not hold the HOSPITAL role.` };
    }
    return { ok: true };
  };
}
