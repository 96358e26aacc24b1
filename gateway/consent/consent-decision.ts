// The consent decision, pure: given the grants the ledger holds for one patient, may this member's
// practitioner, for this purpose, now, do this action on this data? Grants whose clear scope this
// node does not know (recorded at another hospital) cannot be matched against resources and do
// not count; the node that recorded a grant is the one holding the patient's data.

import { ZeroHash } from 'ethers';
import type { ConsentGrantRecord, Hex } from '../ledger/ports.js';
import type { FhirResource } from '../store/service.js';
import { type ConsentAction, type ConsentScope, scopeCovers, scopeTouchesType } from './consent-scope.js';
import { PurposeOfUse, type PurposeCode } from './purpose-of-use.js';

export interface AccessQuestion {
  member: Hex;
  practitionerHash: Hex;
  purpose: PurposeCode;
  action: ConsentAction;
  /** The resource type asked for: only grants whose scope names it can answer, or explain a refusal. */
  resourceType: string;
  /** Seconds since the epoch. */
  now: number;
}

export interface UsableGrant {
  grant: ConsentGrantRecord;
  scope: ConsentScope;
}

export type Refusal = 'no-grant' | 'revoked' | 'not-in-window' | 'purpose' | 'category';

export type GrantSelection = { ok: true; grants: UsableGrant[] } | { ok: false; refusal: Refusal };

export const REFUSAL_TEXT: Record<Refusal, string> = {
  'no-grant': 'No consent of this patient grants your organisation or practitioner access',
  revoked: 'The patient revoked the consent that granted this access',
  'not-in-window': 'The consent that granted this access has expired or is not yet valid',
  purpose: 'No consent of this patient covers the stated purpose of use',
  category: 'No consent of this patient covers this data category',
};

/**
 * The grants that let the question's member and practitioner act for its purpose now, with the
 * action on some data of the resource type in their scope; or, when there are none, the most
 * specific reason why (judged among the grants that name the resource type).
 */
export function selectGrants(
  grants: readonly ConsentGrantRecord[],
  scopeOf: (grantId: Hex) => ConsentScope | undefined,
  question: AccessQuestion,
): GrantSelection {
  const purposeBit = PurposeOfUse[question.purpose];
  let candidates = grants.filter(
    (g) => g.granteeMember === question.member && (g.granteePractitioner === ZeroHash || g.granteePractitioner === question.practitionerHash),
  );
  const known = candidates.filter((g) => scopeOf(g.grantId) !== undefined);
  if (known.length === 0) return { ok: false, refusal: 'no-grant' };
  const relevant = known.filter((g) => scopeTouchesType(scopeOf(g.grantId)!, question.action, question.resourceType));
  if (relevant.length === 0) return { ok: false, refusal: 'category' };
  candidates = relevant.filter((g) => g.revokedAt === null);
  if (candidates.length === 0) return { ok: false, refusal: 'revoked' };
  candidates = candidates.filter((g) => g.notBefore <= question.now && question.now < g.notAfter);
  if (candidates.length === 0) return { ok: false, refusal: 'not-in-window' };
  candidates = candidates.filter((g) => (g.purposes & purposeBit) !== 0);
  if (candidates.length === 0) return { ok: false, refusal: 'purpose' };
  return { ok: true, grants: candidates.map((grant) => ({ grant, scope: scopeOf(grant.grantId)! })) };
}

/** The first grant covering `resource`, or undefined. */
export function grantCovering(grants: readonly UsableGrant[], action: ConsentAction, resource: FhirResource): UsableGrant | undefined {
  return grants.find(({ scope }) => scopeCovers(scope, action, resource));
}

