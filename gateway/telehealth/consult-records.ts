// The FHIR R5 record of a consult at the host, pure: Schedule (per practitioner), Slot, the
// Appointment and the Encounter (class VR) that carry the opaque session id as
// virtualService.sessionKey, and their status at each state (consult-states.ts). The patient
// is named by their pseudonymous address, the only identity the host holds for another
// member's patient; their record stays at their home hospital.

import type { FhirResource } from '../store/service.js';
import { FHIR_CODES, FINAL_STATES, type ConsultState } from './consult-states.js';

export const PATIENT_ADDRESS_SYSTEM = 'urn:careledger:patient-address';
export const MEMBER_SYSTEM = 'urn:careledger:member';
const ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
const VIRTUAL_SERVICE_TYPE = 'http://hl7.org/fhir/virtual-service-type';
const CARELEDGER_VIDEO = 'urn:careledger:telehealth:webrtc';

export const VIRTUAL_CLASS = { coding: [{ system: ACT_CODE, code: 'VR', display: 'virtual' }] };

export function scheduleResource(input: { practitionerId: string; comment?: string }): FhirResource {
  return {
    resourceType: 'Schedule',
    active: true,
    actor: [{ reference: `Practitioner/${input.practitionerId}` }],
    serviceType: [{ concept: { text: 'telehealth consult' } }],
    ...(input.comment ? { comment: input.comment } : {}),
  };
}

export function slotResource(input: { scheduleId: string; start: string; end: string }): FhirResource {
  return { resourceType: 'Slot', schedule: { reference: `Schedule/${input.scheduleId}` }, status: 'free', start: input.start, end: input.end };
}

/** The Slot with a new status, everything else as stored. */
export function slotWithStatus(slot: FhirResource, status: 'free' | 'busy-tentative' | 'busy'): FhirResource {
  const { meta: _meta, ...content } = slot;
  return { ...content, status };
}

export interface ConsultRecordInput {
  sessionId: string;
  appointmentId: string;
  encounterId: string;
  slotId: string;
  practitionerId: string;
  patientAddress: string;
  homeMember: string;
  start: string;
  end: string;
  reason?: string;
}

function patientReference(address: string) {
  return { identifier: { system: PATIENT_ADDRESS_SYSTEM, value: address } };
}

function virtualService(sessionId: string) {
  return [{ channelType: { system: VIRTUAL_SERVICE_TYPE, code: CARELEDGER_VIDEO, display: 'careledger WebRTC consult' }, sessionKey: sessionId }];
}

export function appointmentResource(input: ConsultRecordInput, state: ConsultState): FhirResource {
  const cancelled = state === 'cancelled' || state === 'no-show';
  return {
    resourceType: 'Appointment',
    id: input.appointmentId,
    status: FHIR_CODES[state].appointment,
    class: [VIRTUAL_CLASS],
    slot: [{ reference: `Slot/${input.slotId}` }],
    start: input.start,
    end: input.end,
    ...(input.reason ? { description: input.reason } : {}),
    virtualService: virtualService(input.sessionId),
    participant: [
      { actor: { reference: `Practitioner/${input.practitionerId}` }, required: true, status: cancelled ? 'declined' : 'accepted' },
      {
        actor: { ...patientReference(input.patientAddress), display: 'patient of another member' },
        required: true,
        status: cancelled ? 'declined' : 'accepted',
      },
    ],
    extension: [{ url: 'urn:careledger:telehealth:home-member', valueIdentifier: { system: MEMBER_SYSTEM, value: input.homeMember } }],
  };
}

export function encounterResource(input: ConsultRecordInput, state: ConsultState, period: { start?: string; end?: string }): FhirResource {
  return {
    resourceType: 'Encounter',
    id: input.encounterId,
    status: FHIR_CODES[state].encounter,
    class: [VIRTUAL_CLASS],
    subject: patientReference(input.patientAddress),
    appointment: [{ reference: `Appointment/${input.appointmentId}` }],
    participant: [{ actor: { reference: `Practitioner/${input.practitionerId}` } }],
    virtualService: virtualService(input.sessionId),
    ...(period.start ? { actualPeriod: { start: period.start, ...(period.end ? { end: period.end } : {}) } } : {}),
  };
}

/** The stored Appointment at `state`: its status and its participants' (declined once it is off). */
export function withAppointmentStatus(appointment: FhirResource, state: ConsultState): FhirResource {
  const { meta: _meta, ...content } = appointment;
  const declined = state === 'cancelled' || state === 'no-show';
  const participant = (content.participant as Array<Record<string, unknown>> | undefined)?.map((p) => ({ ...p, status: declined ? 'declined' : 'accepted' }));
  return { ...content, status: FHIR_CODES[state].appointment, ...(participant ? { participant } : {}) };
}

/** The stored Encounter at `state`: its status, and its actual period opened at in-progress and closed at wrap-up or the end. */
export function withEncounterStatus(encounter: FhirResource, state: ConsultState, nowIso: string): FhirResource {
  const { meta: _meta, ...content } = encounter;
  const period = (content.actualPeriod as { start?: string; end?: string } | undefined) ?? {};
  const started = state === 'in-progress' && !period.start ? { start: nowIso } : {};
  const ended = (state === 'wrapping-up' || FINAL_STATES.has(state)) && period.start && !period.end ? { end: nowIso } : {};
  const actualPeriod = { ...period, ...started, ...ended };
  return { ...content, status: FHIR_CODES[state].encounter, ...(actualPeriod.start ? { actualPeriod } : {}) };
}
