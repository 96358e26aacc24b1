import { describe, expect, it } from 'vitest';
import { memberIdOf } from '../crypto/digest.js';
import { MemberRole, type AnchorRecord, type Hex, type Member, type MemberPort } from '../ledger/ports.js';
import { hospitalMemberCheck } from './member-check.js';

const SIGNER = '0x8BA1f109551bD432803012645Ac136ddd64DBA72' as Hex;
const anchor = {
  member: memberIdOf('hospital-a'),
  submitter: SIGNER.toLowerCase() as Hex,
} as AnchorRecord;

function registry(member: (Member & { memberId: Hex }) | null): MemberPort {
  return {
    getMember: async (signer) => (signer.toLowerCase() === SIGNER.toLowerCase() ? member : null),
    hasRole: async () => false,
  };
}

const hospital = { orgId: 'hospital-a', memberId: memberIdOf('hospital-a'), roles: MemberRole.HOSPITAL | MemberRole.RESEARCHER, signers: [SIGNER], active: true };

describe('hospitalMemberCheck', () => {
  it('accepts an active HOSPITAL whose signer sent the anchor', async () => {
    expect(await hospitalMemberCheck(registry(hospital))(anchor)).toEqual({ ok: true });
  });

  it.each([
    ['an unknown signer', null, /not a signer of any registered member/],
    ['a signer of another member', { ...hospital, memberId: memberIdOf('hospital-b') }, /signs for member 0x.*, not 0x/],
    ['an inactive member', { ...hospital, active: false }, /no longer active/],
    ['a payer', { ...hospital, roles: MemberRole.PAYER }, /does not hold the HOSPITAL role/],
  ])('refuses %s', async (_label, member, reason) => {
    const verdict = await hospitalMemberCheck(registry(member))(anchor);
    expect(verdict.ok).toBe(false);
    expect(!verdict.ok && verdict.reason).toMatch(reason);
  });
});
