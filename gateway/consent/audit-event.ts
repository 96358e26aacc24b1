// R5 AuditEvents for cross-institution access and for erasure, pure. They are stored in the
// hospital's own store (sealed in the patient's compartment when they name the patient) and
// anchored like any resource: the chain sees a salted leaf hash, never a field of them.

import type { Hex } from '../ledger/ports.js';
import type { FhirResource } from '../store/service.js';
import { PURPOSE_DISPLAY, PURPOSE_OF_USE_SYSTEM, type PurposeCode } from './purpose-of-use.js';

export const MEMBER_SYSTEM = 'urn:careledger:member';
const PATIENT_ADDRESS_SYSTEM = 'urn:careledger:patient-address';
const DETAIL = {
  grant: 'consent-grant',
  refusal: 'refusal',
  breakGlassReason: 'break-glass-reason',
  breakGlassSalt: 'break-glass-reason-salt',
  breakGlassHash: 'break-glass-reason-hash',
  matched: 'matched-count',
  returned: 'returned-count',
  erasureReason: 'erasure-reason',
} as const;

const REST_INTERACTION = 'http://hl7.org/fhir/restful-interaction';
const AUDIT_EVENT_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-event-type';
const OUTCOME = 'http://terminology.hl7.org/CodeSystem/audit-event-outcome';
const OBJECT_ROLE = 'http://terminology.hl7.org/CodeSystem/object-role';
const SOURCE_TYPE = 'http://terminology.hl7.org/CodeSystem/security-source-type';
const LIFECYCLE = 'http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle';

export type AccessInteraction = 'read' | 'vread' | 'history-instance' | 'search-type';
export type AccessOutcome = 'allowed' | 'denied' | 'not-found';

export interface AuditNode {
  memberId: Hex;
  orgId: string;
}

export interface AccessAuditInput {
  recorded: Date;
  interaction: AccessInteraction;
  outcome: AccessOutcome;
  /** Why it was refused, or the error text. */
  outcomeText?: string;
  purpose: PurposeCode;
  member: { memberId: Hex; orgId: string };
  practitionerId: string;
  node: AuditNode;
  /** `Patient/<id>` when the access concerned one patient. */
  patient?: string;
  /** References read or asked for (Type/id[/_history/v]). */
  entities: string[];
  /** The search, as a query string, for search-type. */
  query?: string;
  grantIds: Hex[];
  /** Search only: how many matched before and after consent filtering. */
  counts?: { matched: number; returned: number };
  breakGlass?: { reason: string; salt: Hex; reasonHash: Hex };
}

export function accessAuditEvent(input: AccessAuditInput): FhirResource {
  const authorization = [codeable(PURPOSE_OF_USE_SYSTEM, input.purpose, PURPOSE_DISPLAY[input.purpose])];
  if (input.breakGlass) authorization.push(codeable(PURPOSE_OF_USE_SYSTEM, 'BTG', 'break the glass'));

  const patientDetails: Detail[] = input.grantIds.map((grantId) => detail(DETAIL.grant, grantId));
  if (input.outcome !== 'allowed' && input.outcomeText) patientDetails.push(detail(DETAIL.refusal, input.outcomeText));
  if (input.breakGlass) {
    patientDetails.push(
      detail(DETAIL.breakGlassReason, input.breakGlass.reason),
      detail(DETAIL.breakGlassSalt, input.breakGlass.salt),
      detail(DETAIL.breakGlassHash, input.breakGlass.reasonHash),
    );
  }
  if (input.counts) {
    patientDetails.push(
      { type: { text: DETAIL.matched }, valueInteger: input.counts.matched },
      { type: { text: DETAIL.returned }, valueInteger: input.counts.returned },
    );
  }

  const entity: Record<string, unknown>[] = [];
  if (input.patient) {
    entity.push({ what: { reference: input.patient }, role: codeable(OBJECT_ROLE, '1', 'Patient'), ...(patientDetails.length ? { detail: patientDetails } : {}) });
  }
  for (const reference of input.entities) {
    if (reference !== input.patient) entity.push({ what: { reference }, role: codeable(OBJECT_ROLE, '4', 'Domain Resource') });
  }
  if (input.query !== undefined) {
    entity.push({ role: codeable(OBJECT_ROLE, '24', 'Query'), query: Buffer.from(input.query, 'utf8').toString('base64') });
  }
  if (!input.patient && patientDetails.length) entity.push({ role: codeable(OBJECT_ROLE, '13', 'Security Resource'), detail: patientDetails });

  return {
    resourceType: 'AuditEvent',
    category: [codeable(AUDIT_EVENT_TYPE, 'rest', 'RESTful Operation')],
    code: codeable(REST_INTERACTION, input.interaction),
    action: 'R',
    severity: input.breakGlass ? 'notice' : input.outcome === 'allowed' ? 'informational' : 'warning',
    recorded: input.recorded.toISOString(),
    outcome: {
      code: { system: OUTCOME, code: input.outcome === 'allowed' ? '0' : '4', display: input.outcome === 'allowed' ? 'Success' : 'Minor failure' },
      ...(input.outcomeText ? { detail: [{ text: input.outcomeText }] } : {}),
    },
    authorization,
    ...(input.patient ? { patient: { reference: input.patient } } : {}),
    agent: [
      {
        type: codeable('http://terminology.hl7.org/CodeSystem/provenance-participant-type', 'custodian', 'Custodian'),
        who: { identifier: { system: MEMBER_SYSTEM, value: input.member.memberId }, display: input.member.orgId },
        requestor: false,
      },
      {
        type: codeable('http://terminology.hl7.org/CodeSystem/provenance-participant-type', 'performer', 'Performer'),
        who: { identifier: { system: `${MEMBER_SYSTEM}:${input.member.memberId}:practitioner`, value: input.practitionerId } },
        requestor: true,
        authorization,
      },
    ],
    source: {
      observer: { identifier: { system: MEMBER_SYSTEM, value: input.node.memberId }, display: input.node.orgId },
      type: [codeable(SOURCE_TYPE, '4', 'Application Server')],
    },
    entity,
  };
}

export interface ErasureAuditInput {
  recorded: Date;
  node: AuditNode;
  /** The erased patient's on-chain address (the record links to nothing else once erased). */
  patientAddress: Hex | null;
  /** The staff client that erased (erasure is a staff action with its own scope). */
  actor: { clientId: string };
  /** Why, as stated by staff (sealed in the vault like any resource; only a salted leaf is anchored). */
  reason: string;
  revokedGrants: Hex[];
}

export function erasureAuditEvent(input: ErasureAuditInput): FhirResource {
  const who = { identifier: { system: 'urn:careledger:smart-client', value: input.actor.clientId } };
  return {
    resourceType: 'AuditEvent',
    category: [codeable(AUDIT_EVENT_TYPE, 'rest', 'RESTful Operation')],
    code: codeable(LIFECYCLE, 'destroy', 'Destroy/Delete'),
    action: 'D',
    severity: 'notice',
    recorded: input.recorded.toISOString(),
    outcome: { code: { system: OUTCOME, code: '0', display: 'Success' }, detail: [{ text: 'Patient data keys crypto-shredded on request' }] },
    agent: [{ who, requestor: true }],
    source: {
      observer: { identifier: { system: MEMBER_SYSTEM, value: input.node.memberId }, display: input.node.orgId },
      type: [codeable(SOURCE_TYPE, '4', 'Application Server')],
    },
    entity: [
      {
        ...(input.patientAddress ? { what: { identifier: { system: PATIENT_ADDRESS_SYSTEM, value: input.patientAddress } } } : {}),
        role: codeable(OBJECT_ROLE, '1', 'Patient'),
        detail: [detail(DETAIL.erasureReason, input.reason), ...input.revokedGrants.map((grantId) => detail(DETAIL.grant, grantId))],
      },
    ],
  };
}

type Detail = { type: { text: string }; valueString?: string; valueInteger?: number };

function detail(type: string, value: string): Detail {
  return { type: { text: type }, valueString: value };
}

function codeable(system: string, code: string, display?: string) {
  return { coding: [{ system, code, ...(display ? { display } : {}) }] };
}
