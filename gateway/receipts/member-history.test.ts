import { describe, expect, it } from 'vitest';
import { memberIdOf } from '../crypto/digest.js';
import { type Hex, MemberRole, type MembershipChange, type MembershipEvent } from '../ledger/ports.js';
import { memberBefore } from './member-history.js';

const A = memberIdOf('hospital-a');
const S1 = '0x1111111111111111111111111111111111111111' as Hex;
const S2 = '0x2222222222222222222222222222222222222222' as Hex;
const TX = `0x${'00'.repeat(32)}` as Hex;

function at(blockNumber: number, logIndex: number, change: MembershipChange, memberId: Hex = A): MembershipEvent {
  return { ...change, memberId, blockNumber, logIndex, txHash: TX };
}

const history: MembershipEvent[] = [
  at(3, 0, { kind: 'member-added', orgId: 'hospital-a', roles: MemberRole.HOSPITAL }),
  at(3, 1, { kind: 'signer-added', signer: S1 }),
  at(10, 4, { kind: 'signer-added', signer: S2 }),
  at(12, 0, { kind: 'signer-removed', signer: S1 }),
  at(15, 2, { kind: 'role-revoked', role: MemberRole.HOSPITAL }),
  at(16, 0, { kind: 'role-granted', role: MemberRole.HOSPITAL | MemberRole.PAYER }),
  at(20, 1, { kind: 'member-removed' }),
];

describe('memberBefore', () => {
  it('is null before the member was added', () => {
    expect(memberBefore(history, A, { blockNumber: 3, logIndex: 0 })).toBeNull();
  });

  it('replays additions, removals and role changes up to the position', () => {
    expect(memberBefore(history, A, { blockNumber: 5, logIndex: 0 })).toEqual({ orgId: 'hospital-a', roles: 1, active: true, signers: [S1] });
    expect(memberBefore(history, A, { blockNumber: 11, logIndex: 0 })?.signers).toEqual([S1, S2]);
    expect(memberBefore(history, A, { blockNumber: 13, logIndex: 0 })?.signers).toEqual([S2]);
    expect(memberBefore(history, A, { blockNumber: 15, logIndex: 3 })?.roles).toBe(0);
    expect(memberBefore(history, A, { blockNumber: 17, logIndex: 0 })?.roles).toBe(MemberRole.HOSPITAL | MemberRole.PAYER);
    expect(memberBefore(history, A, { blockNumber: 21, logIndex: 0 })?.active).toBe(false);
  });

  it('counts an event in the anchor block only when its log comes before the anchor', () => {
    expect(memberBefore(history, A, { blockNumber: 10, logIndex: 4 })?.signers).toEqual([S1]);
    expect(memberBefore(history, A, { blockNumber: 10, logIndex: 5 })?.signers).toEqual([S1, S2]);
    expect(memberBefore(history, A, { blockNumber: 20, logIndex: 0 })?.active).toBe(true);
    expect(memberBefore(history, A, { blockNumber: 20, logIndex: 2 })?.active).toBe(false);
  });

  it('replays in chain order whatever the order given, and ignores other members', () => {
    const other = at(4, 0, { kind: 'member-removed' }, memberIdOf('hospital-b'));
    const shuffled = [...history.slice(3), other, ...history.slice(0, 3)].reverse();
    expect(memberBefore(shuffled, A, { blockNumber: 13, logIndex: 0 })).toEqual({ orgId: 'hospital-a', roles: 1, active: true, signers: [S2] });
  });

  it('refuses a history that does not start with the member being added', () => {
    expect(() => memberBefore(history.slice(1), A, { blockNumber: 5, logIndex: 0 })).toThrow(/starts with signer-added at block 3, not member-added/);
  });
});
