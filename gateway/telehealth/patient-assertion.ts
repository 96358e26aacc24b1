// The patient session a home hospital issues for a consult at another member's node: a compact
// JWS signed ES256K with the home node's member key (the member-JWT format, member-jwt.ts) that
// names the patient only by their pseudonymous address. The home node mints it for a patient who
// authenticated there (their patient access token); the host checks it against the chain: the
// signer is a signer of an active HOSPITAL member, that member is the issuer, it is addressed to
// the host, and it lives at most 10 minutes. Whether the address and member are the session's
// patient and home member is the workflow's check. It carries a `ctx` claim and no `purpose`, so
// a FHIR route never takes it for a practitioner's member JWT (member-authenticator.ts requires a
// purpose), nor this route a member JWT for a patient session.
// Unlike a member JWT it may be presented more than once until it expires: a patient takes
// several steps (book, check in, wait, join) and the home node is not asked again for each.

import { type KeyObject } from 'node:crypto';
import { randomUUID } from 'node:crypto';
import { MemberRole, type Hex } from '../ledger/ports.js';
import { parseMemberJwt, signMemberJwt, signedByKid } from '../consent/member-jwt.js';
import type { MemberDirectory } from '../consent/member-directory.js';

export const PATIENT_ASSERTION_CONTEXT = 'careledger:telehealth-patient:v1';
export const PATIENT_ASSERTION_MAX_LIFETIME_SECONDS = 600;
const CLOCK_SKEW_SECONDS = 30;

export function signPatientAssertion(
  signerKey: string,
  input: { homeMember: Hex; patientAddress: Hex; audience: string; lifetimeSeconds: number; now?: number },
): { token: string; expiresAt: number } {
  const iat = Math.floor((input.now ?? Date.now()) / 1000);
  const exp = iat + Math.min(input.lifetimeSeconds, PATIENT_ASSERTION_MAX_LIFETIME_SECONDS);
  // signMemberJwt's claim type has a purpose; this assertion deliberately has none.
  const claims = { iss: input.homeMember, sub: input.patientAddress, aud: input.audience, iat, exp, jti: randomUUID(), ctx: PATIENT_ASSERTION_CONTEXT };
  return { token: signMemberJwt(signerKey, claims as unknown as Parameters<typeof signMemberJwt>[1]), expiresAt: exp };
}

/** True when a bearer credential claims to be a patient assertion (says nothing of validity). */
export function isPatientAssertion(token: string): boolean {
  return parseMemberJwt(token)?.claims.ctx === PATIENT_ASSERTION_CONTEXT;
}

export type PatientAssertionCheck = { ok: true; patientAddress: Hex; homeMember: Hex; expiresAt: number } | { ok: false; detail: string };

export class PatientAssertionVerifier {
  private readonly audiences: Set<string>;
  private readonly signerKeys = new Map<Hex, KeyObject>();

  constructor(
    private readonly directory: Pick<MemberDirectory, 'memberOf'>,
    audiences: readonly string[],
    private readonly now: () => number = Date.now,
  ) {
    this.audiences = new Set(audiences.map((a) => a.replace(/\/+$/, '')));
  }

  async verify(token: string): Promise<PatientAssertionCheck> {
    const parsed = parseMemberJwt(token);
    if (!parsed || parsed.claims.ctx !== PATIENT_ASSERTION_CONTEXT) return refuse('not a patient session of a consortium member');
    if (!signedByKid(parsed, this.signerKeys)) return refuse('the patient session\'s signature does not match its kid');
    const c = parsed.claims;
    const nowSeconds = Math.floor(this.now() / 1000);
    if (typeof c.exp !== 'number' || typeof c.iat !== 'number') return refuse('the patient session has no exp or iat');
    if (c.exp <= nowSeconds - CLOCK_SKEW_SECONDS) return refuse('the patient session has expired; ask your home hospital for a new one');
    if (c.exp - c.iat > PATIENT_ASSERTION_MAX_LIFETIME_SECONDS || c.iat > nowSeconds + CLOCK_SKEW_SECONDS) {
      return refuse(`a patient session may live at most ${PATIENT_ASSERTION_MAX_LIFETIME_SECONDS} s`);
    }
    const audiences = Array.isArray(c.aud) ? c.aud : [c.aud];
    if (!audiences.some((aud) => typeof aud === 'string' && this.audiences.has(aud.replace(/\/+$/, '')))) {
      return refuse('the patient session is addressed to another hospital');
    }
    if (typeof c.sub !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(c.sub)) return refuse('the patient session must name the patient\'s address');
    const member = await this.directory.memberOf(parsed.kid);
    if (!member || (member.roles & MemberRole.HOSPITAL) === 0) return refuse(`${parsed.kid} is not a signer of an active hospital member`);
    if (typeof c.iss !== 'string' || c.iss.toLowerCase() !== member.memberId) return refuse('the patient session\'s signer does not act for its issuer');
    return { ok: true, patientAddress: c.sub.toLowerCase() as Hex, homeMember: member.memberId, expiresAt: c.exp };
  }
}

function refuse(detail: string): PatientAssertionCheck {
  return { ok: false, detail };
}
