// Every session event as an R5 AuditEvent at the host, pure. Stored through intake (sealed in
// the vault, anchored as a salted leaf like any resource); the digests of a session's events are
// the leaves of the event-log root its close puts on chain. An escalation's reason and salt
// stay in here, at the host; the chain gets only the salted hash.

import type { FhirResource } from '../store/service.js';
import { MEMBER_SYSTEM, PATIENT_ADDRESS_SYSTEM } from './consult-records.js';

export const CONSULT_EVENT_SYSTEM = 'urn:careledger:telehealth:event';
const AUDIT_EVENT_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-event-type';
const OUTCOME = 'http://terminology.hl7.org/CodeSystem/audit-event-outcome';
const OBJECT_ROLE = 'http://terminology.hl7.org/CodeSystem/object-role';
const SOURCE_TYPE = 'http://terminology.hl7.org/CodeSystem/security-source-type';
const PARTICIPANT_TYPE = 'http://terminology.hl7.org/CodeSystem/provenance-participant-type';

export type ConsultEventCode =
  | 'booked'
  | 'check-in'
  | 'arrive'
  | 'admit'
  | 'start'
  | 'wrap-up'
  | 'complete'
  | 'cancel'
  | 'no-show'
  | 'invited'
  | 'invitation-withdrawn'
  | 'escalated'
  | 'join-token-issued'
  | 'join-refused'
  | 'ended'
  | 'chain-rejected';

export interface ConsultAuditInput {
  code: ConsultEventCode;
  recorded: Date;
  sessionId: string;
  encounterId: string;
  appointmentId: string;
  patientAddress: string;
  /** Who acted: a member and the id their member knows them by, or the patient, or the node itself. */
  actor: { kind: 'practitioner'; member: string; practitionerId: string } | { kind: 'patient' } | { kind: 'staff'; clientId: string } | { kind: 'node' };
  host: { memberId: string; orgId: string };
  /** Refusals and failures: the outcome is then a failure with this text. */
  failure?: string;
  /** Extra name/value details (role, severity, the escalation's reason, salt and hash...). */
  details?: Record<string, string | number>;
}

export function consultAuditEvent(input: ConsultAuditInput): FhirResource {
  const details = Object.entries({ 'session-key': input.sessionId, ...input.details }).map(([name, value]) =>
    typeof value === 'number' ? { type: { text: name }, valueInteger: value } : { type: { text: name }, valueString: value },
  );
  return {
    resourceType: 'AuditEvent',
    category: [codeable(AUDIT_EVENT_TYPE, 'application', 'Application Activity')],
    code: codeable(CONSULT_EVENT_SYSTEM, input.code),
    action: input.code === 'booked' ? 'C' : 'U',
    severity: input.code === 'escalated' ? 'alert' : input.failure ? 'warning' : 'informational',
    recorded: input.recorded.toISOString(),
    outcome: input.failure
      ? { code: { system: OUTCOME, code: '4', display: 'Minor failure' }, detail: [{ text: input.failure }] }
      : { code: { system: OUTCOME, code: '0', display: 'Success' } },
    patient: { identifier: { system: PATIENT_ADDRESS_SYSTEM, value: input.patientAddress } },
    encounter: { reference: `Encounter/${input.encounterId}` },
    agent: [{ type: codeable(PARTICIPANT_TYPE, 'performer', 'Performer'), who: who(input), requestor: input.actor.kind !== 'node' }],
    source: {
      observer: { identifier: { system: MEMBER_SYSTEM, value: input.host.memberId }, display: input.host.orgId },
      type: [codeable(SOURCE_TYPE, '4', 'Application Server')],
    },
    entity: [
      { what: { reference: `Appointment/${input.appointmentId}` }, role: codeable(OBJECT_ROLE, '4', 'Domain Resource'), detail: details },
      { what: { reference: `Encounter/${input.encounterId}` }, role: codeable(OBJECT_ROLE, '4', 'Domain Resource') },
    ],
  };
}

function who(input: ConsultAuditInput) {
  switch (input.actor.kind) {
    case 'practitioner':
      return { identifier: { system: `${MEMBER_SYSTEM}:${input.actor.member}:practitioner`, value: input.actor.practitionerId } };
    case 'patient':
      return { identifier: { system: PATIENT_ADDRESS_SYSTEM, value: input.patientAddress } };
    case 'staff':
      return { identifier: { system: 'urn:careledger:smart-client', value: input.actor.clientId } };
    case 'node':
      return { identifier: { system: MEMBER_SYSTEM, value: input.host.memberId }, display: input.host.orgId };
  }
}

function codeable(system: string, code: string, display?: string) {
  return { coding: [{ system, code, ...(display ? { display } : {}) }] };
}
