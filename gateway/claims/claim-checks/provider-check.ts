// `provider-member`: everything in the evidence was anchored by the member that is the claim's
// provider. A hospital vouches for its own records only; a resource anchored by another member
// (even a genuine one) is not this provider's documentation of the service.
import { MEMBER_SYSTEM } from '../../consent/audit-event.js';
import { memberIdOf } from '../../crypto/digest.js';
import type { Hex } from '../../ledger/ports.js';
import type { FhirResource } from '../../store/service.js';
import { referenceOf } from '../claim-lines.js';
import type { ClaimCheck, Evidence } from '../claim-report.js';
import { type ClaimContext, anchorEvidence } from './claim-context.js';

const MEMBER_ID = /^0x[0-9a-fA-F]{64}$/;
/** keccak256 of an org id, remembered: a payer checks many claims of the same few providers. */
const memberIds = new Map<string, Hex>();

function memberIdOfOrg(orgId: string): Hex {
  let id = memberIds.get(orgId);
  if (!id) {
    if (memberIds.size > 1024) memberIds.clear();
    id = memberIdOf(orgId);
    memberIds.set(orgId, id);
  }
  return id;
}

/** The consortium member an Organization (or a PractitionerRole's organization) names by identifier urn:careledger:member. */
export function memberOfOrganization(resource: FhirResource | undefined, resolve: ClaimContext['resolve']): { member: Hex; label: string } | null {
  const organization = resource?.resourceType === 'PractitionerRole' ? resolveRef(resource.organization, resolve) : resource;
  if (organization?.resourceType !== 'Organization' || !Array.isArray(organization.identifier)) return null;
  for (const identifier of organization.identifier as Array<{ system?: unknown; value?: unknown }>) {
    if (identifier?.system !== MEMBER_SYSTEM || typeof identifier.value !== 'string' || identifier.value.length === 0) continue;
    const value = identifier.value;
    if (MEMBER_ID.test(value)) return { member: value.toLowerCase() as Hex, label: value.toLowerCase() };
    const member = memberIdOfOrg(value);
    return { member, label: `${value} (${member})` };
  }
  return null;
}

function resolveRef(value: unknown, resolve: ClaimContext['resolve']): FhirResource | undefined {
  const ref = referenceOf(value);
  return ref ? resolve(ref) : undefined;
}

export function checkProviderMember(ctx: ClaimContext): ClaimCheck {
  const provider = memberOfOrganization(resolveRef(ctx.claim.provider, ctx.resolve), ctx.resolve);
  if (!provider) {
    return {
      name: 'provider-member',
      status: 'skip',
      detail: `the Claim's provider (${referenceOf(ctx.claim.provider) ?? 'none'}) names no consortium member (an Organization identifier with system ${MEMBER_SYSTEM}): nothing to hold the anchors to`,
      evidence: [],
    };
  }
  const others: Evidence[] = [];
  for (const version of ctx.anchored.values()) {
    if (version.anchor.member.toLowerCase() !== provider.member) {
      others.push({ ...anchorEvidence(version), status: 'fail', note: `anchored by member ${version.anchor.member}, not the claim's provider` });
    }
  }
  if (others.length > 0) {
    return { name: 'provider-member', status: 'fail', detail: `${others.length} resource(s) were anchored by another member than the claim's provider ${provider.label}`, evidence: others };
  }
  return { name: 'provider-member', status: 'pass', detail: `all ${ctx.anchored.size} verified resources were anchored by the claim's provider, member ${provider.label}`, evidence: [] };
}
