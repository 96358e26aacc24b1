// The AuditEvent of one claim-evidence fetch, pure: the consent capability's access AuditEvent
// (same agents, source and entity roles, so one reader serves both) with purpose HPAYMT, the
// REST interaction `operation` ($evidence is neither a read nor a search), the Claim and every
// version handed over as entities, and for the hospital's own staff the SMART client as the
// performer instead of a member's practitioner. Stored and anchored like any resource.

import type { Hex } from '../ledger/ports.js';
import { type AccessOutcome, type AuditNode, accessAuditEvent } from '../consent/audit-event.js';
import type { FhirResource } from '../store/service.js';
import type { EvidenceCaller } from './payer-access.js';

const REST_INTERACTION = 'http://terminology.hl7.org/CodeSystem/restful-interaction';
const SMART_CLIENT_SYSTEM = 'urn:careledger:smart-client';

export interface EvidenceAuditInput {
  recorded: Date;
  node: AuditNode;
  caller: EvidenceCaller;
  claimId: string;
  outcome: AccessOutcome;
  /** Why it was refused, for the hospital's eyes (the payer saw only a 404 or 403). */
  outcomeText?: string;
  /** `Patient/<id>` of an allowed fetch, so the access shows in the patient's access history. */
  patient?: string;
  /** The versions handed over (`Type/id/_history/v`), when the fetch was served. */
  versions: string[];
}

export function evidenceAuditEvent(input: EvidenceAuditInput): FhirResource {
  const member = input.caller.kind === 'member' ? input.caller.member : null;
  const event = accessAuditEvent({
    recorded: input.recorded,
    interaction: 'read',
    outcome: input.outcome,
    ...(input.outcomeText ? { outcomeText: input.outcomeText } : {}),
    purpose: 'HPAYMT',
    member: member ? { memberId: member.memberId, orgId: member.orgId } : input.node,
    practitionerId: member ? member.practitionerId : (input.caller as { clientId: string }).clientId,
    node: input.node,
    ...(input.patient ? { patient: input.patient } : {}),
    entities: input.versions.length > 0 ? input.versions : [`Claim/${input.claimId}`],
    grantIds: [] as Hex[],
  });
  event.code = { coding: [{ system: REST_INTERACTION, code: 'operation', display: '$evidence' }] };
  if (!member) {
    const agents = event.agent as Array<Record<string, unknown>>;
    agents[1] = { ...agents[1], who: { identifier: { system: SMART_CLIENT_SYSTEM, value: (input.caller as { clientId: string }).clientId } } };
  }
  return event;
}
