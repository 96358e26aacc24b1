// The behaviour every MemberPort implementation must show, as one reusable vitest suite. Each
// ledger's test file calls describeMemberPort with a factory for a connected port and the members
// its setup registered. The suite does not assume a fresh registry: other members may exist, so it
// also runs against a long-lived consortium.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memberIdOf } from '../crypto/digest.js';
import { type Hex, MemberRole, type MemberPort, type MemberRoleName } from './ports.js';

export interface RegisteredMember {
  orgId: string;
  roles: MemberRoleName[];
  /** The member's one signer, lower-case. */
  signer: Hex;
}

export interface MemberPortUnderTest {
  port: MemberPort;
  /** At least two active members with different roles, as the registry holds them. */
  members: RegisteredMember[];
  close(): Promise<void>;
}

const ALL_ROLES = Object.keys(MemberRole) as MemberRoleName[];
const randomAddress = () => `0x${randomBytes(20).toString('hex')}` as Hex;
const roleBits = (roles: MemberRoleName[]) => roles.reduce((bits, role) => bits | MemberRole[role], 0);

export function describeMemberPort(name: string, connect: () => Promise<MemberPortUnderTest>): void {
  describe(`MemberPort behaviour: ${name}`, () => {
    let subject: MemberPortUnderTest;
    let port: MemberPort;

    beforeAll(async () => {
      subject = await connect();
      port = subject.port;
    });
    afterAll(async () => subject?.close());

    it('finds a member by its signer, with the member id of its org id', async () => {
      for (const member of subject.members) {
        expect(await port.getMember(member.signer)).toEqual({
          memberId: memberIdOf(member.orgId),
          orgId: member.orgId,
          roles: roleBits(member.roles),
          active: true,
          signers: [member.signer],
        });
      }
    });

    it('finds the same member by its member id', async () => {
      for (const member of subject.members) {
        const { memberId, ...byId } = (await port.getMember(member.signer))!;
        expect(await port.getMemberById(memberId)).toEqual(byId);
      }
    });

    it('answers each role question from the member\'s roles', async () => {
      for (const member of subject.members) {
        for (const role of ALL_ROLES) expect(await port.hasRole(member.signer, role)).toBe(member.roles.includes(role));
      }
    });

    it('knows nothing of an address that signs for no member, nor of an unregistered member id', async () => {
      const stranger = randomAddress();
      expect(await port.getMember(stranger)).toBeNull();
      expect(await port.hasRole(stranger, 'HOSPITAL')).toBe(false);
      expect(await port.hasRole(`0x${'0'.repeat(40)}`, 'PAYER')).toBe(false);
      expect(await port.getMemberById(memberIdOf(`never-registered-${randomBytes(4).toString('hex')}`))).toBeNull();
    });

    it('lists every member once, the registered ones among them', async () => {
      const listed = await port.listMembers();
      expect(new Set(listed.map((m) => m.memberId)).size).toBe(listed.length);
      for (const member of subject.members) {
        expect(listed).toContainEqual({
          memberId: memberIdOf(member.orgId),
          orgId: member.orgId,
          roles: roleBits(member.roles),
          active: true,
          signers: [member.signer],
        });
      }
      for (const member of listed) expect(member.memberId).toBe(memberIdOf(member.orgId));
    });
  });
}
