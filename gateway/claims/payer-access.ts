// Who may fetch a claim's evidence. Two kinds of caller:
// - a PAYER member of the consortium, with a member JWT (purpose HPAYMT), for the claims whose
//   `insurer` names that member. A Claim names a member as insurer by an identifier with system
//   urn:careledger:member whose value is the member's org id (or its bytes32 member id), either on
//   the insurer Reference itself (a logical reference) or on the Organization it references.
// - the hospital's own staff, with a SMART token that reads Claim (and, once the evidence is
//   assembled, every type in it: evidence-routes.ts checks them).
// A payer asking for a claim billed to someone else gets the same 404 as for a claim that does not
// exist: claim ids are the hospital's, and a payer must not learn which ones exist for others.

import { OperationOutcomeError, forbidden } from '@medplum/core';
import type { FastifyRequest } from 'fastify';
import { requireFhirAccess } from '../auth/fhir-access.js';
import { MEMBER_SYSTEM } from '../consent/audit-event.js';
import type { MemberAuthenticator, MemberPrincipal } from '../consent/member-authenticator.js';
import { isMemberJwt } from '../consent/member-jwt.js';
import { memberIdOf } from '../crypto/digest.js';
import { type Hex, MemberRole } from '../ledger/ports.js';
import type { FhirResource } from '../store/service.js';
import type { EvidenceSource } from './evidence-bundle.js';

/** An authenticated caller: a consortium member (not yet known to be a payer) or the hospital's staff. */
export type EvidenceCaller = { kind: 'member'; member: MemberPrincipal } | { kind: 'staff'; clientId: string };

/** Why a payer is refused a claim, kept for the AuditEvent; the payer sees only `ClaimHidden`. */
export class ClaimHidden extends OperationOutcomeError {
  constructor(
    claimId: string,
    orgId: string,
    readonly reason: string,
  ) {
    super({
      resourceType: 'OperationOutcome',
      id: 'not-found',
      issue: [
        {
          severity: 'error',
          code: 'not-found',
          details: { text: `Claim/${claimId} is not among the claims billed to ${orgId} at this node: check the claim id with the hospital` },
        },
      ],
    });
  }
}

const BEARER = /^Bearer +(\S+) *$/i;
const MEMBER_ID = /^0x[0-9a-fA-F]{64}$/;

export class PayerAccess {
  constructor(
    private readonly authenticator: MemberAuthenticator,
    private readonly source: Pick<EvidenceSource, 'read'>,
  ) {}

  /** Authenticates the caller: 401 without valid credentials (a member JWT, or a SMART token that reads Claim). */
  async callerOf(request: FastifyRequest): Promise<EvidenceCaller> {
    const token = BEARER.exec(request.headers.authorization ?? '')?.[1];
    if (!token || !isMemberJwt(token)) {
      return { kind: 'staff', clientId: requireFhirAccess(request, 'Claim', 'operation', { permissions: 'r' }).clientId };
    }
    return { kind: 'member', member: await this.authenticator.authenticate(request.headers.authorization) };
  }

  /** 403 for a member that is no payer or states another purpose than payment. */
  checkPayer(caller: EvidenceCaller): void {
    if (caller.kind === 'staff') return;
    const { member } = caller;
    if ((member.roles & MemberRole.PAYER) === 0) {
      throw refused(`Only PAYER members fetch claim evidence; ${member.orgId} does not hold the PAYER role in the ConsortiumRegistry`);
    }
    if (member.purpose !== 'HPAYMT') {
      throw refused(`Claim evidence is fetched for payment: mint the member JWT with purpose HPAYMT, not ${member.purpose}`);
    }
  }

  /** Throws ClaimHidden (404) unless the claim's insurer names the paying member. Staff may fetch any claim. */
  async admit(caller: EvidenceCaller, claim: FhirResource): Promise<void> {
    if (caller.kind === 'staff') return;
    const insurers = await this.insurerMembers(claim);
    if (insurers.includes(caller.member.memberId)) return;
    const reason =
      insurers.length === 0
        ? 'the claim names no consortium member as insurer'
        : `the claim's insurer is member ${insurers.join(', ')}, not ${caller.member.memberId}`;
    throw new ClaimHidden(String(claim.id), caller.member.orgId, reason);
  }

  /** The member ids the claim's `insurer` names, on the Reference or on the Organization it points to. */
  async insurerMembers(claim: FhirResource): Promise<Hex[]> {
    const insurer = claim.insurer as { reference?: unknown; identifier?: unknown } | undefined;
    if (!insurer) return [];
    const identifiers: unknown[] = [insurer.identifier];
    const reference = typeof insurer.reference === 'string' ? /^Organization\/([A-Za-z0-9\-.]{1,64})$/.exec(insurer.reference) : null;
    if (reference) {
      try {
        const organization = (await this.source.read('Organization', reference[1]!)).resource;
        if (Array.isArray(organization.identifier)) identifiers.push(...organization.identifier);
      } catch (error) {
        // A missing or erased insurer Organization names no member; anything else is a real failure.
        if (!(error instanceof OperationOutcomeError)) throw error;
      }
    }
    const members = new Set<Hex>();
    for (const identifier of identifiers) {
      const { system, value } = (identifier ?? {}) as { system?: unknown; value?: unknown };
      if (system !== MEMBER_SYSTEM || typeof value !== 'string' || value.length === 0) continue;
      members.add(MEMBER_ID.test(value) ? (value.toLowerCase() as Hex) : memberIdOf(value));
    }
    return [...members];
  }
}

function refused(text: string): OperationOutcomeError {
  return new OperationOutcomeError({ ...forbidden, issue: [{ severity: 'error', code: 'forbidden', details: { text } }] });
}
