// PV1 -> Encounter (v2-to-FHIR IG segment map PV1[Encounter]), written for R5: `class` is a
// list of CodeableConcepts and the period is `actualPeriod`.

import type { FhirResource } from '../../gateway/store/service.js';
import { cxToIdentifier, type Identifier, v2TableCode, xcnToReference } from './datatypes.js';
import { readDateTime, type MappingContext } from './mapping-context.js';
import { Hl7MappingError } from './mapping-error.js';
import type { V2Segment } from './v2-segment.js';

const ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';

/** v2 table 0004 (patient class) -> v3 ActCode encounter class (IG ConceptMap; recurring
 * patients are outpatient series, obstetrics is an inpatient stay). */
const ENCOUNTER_CLASS: Record<string, { code: string; display: string }> = {
  E: { code: 'EMER', display: 'emergency' },
  I: { code: 'IMP', display: 'inpatient encounter' },
  O: { code: 'AMB', display: 'ambulatory' },
  P: { code: 'PRENC', display: 'pre-admission' },
  R: { code: 'AMB', display: 'ambulatory' },
  B: { code: 'IMP', display: 'inpatient encounter' },
};

/** Classes that say nothing about the encounter (N not applicable, U unknown). */
const NO_CLASS = new Set(['N', 'U', '']);

/** The business key of an encounter: PV1-19 visit number, else PID-18 account number (many
 * feeds key visits by account). Undefined when the message carries neither. */
export function visitIdentifier(ctx: MappingContext, pv1: V2Segment, pid: V2Segment): Identifier | undefined {
  return cxToIdentifier(ctx, pv1.first(19), 'VN') ?? cxToIdentifier(ctx, pid.first(18), 'AN');
}

function encounterId(ctx: MappingContext, visit: Identifier): string {
  return ctx.ids('Encounter', visit.system ?? '', visit.value);
}

/** Status: a discharge time (PV1-45) means completed; a pre-admit (class P) is planned; any
 * other admit, registration or update describes an encounter under way. */
function encounterStatus(patientClass: string, discharged: boolean): string {
  if (discharged) return 'completed';
  if (patientClass === 'P') return 'planned';
  return 'in-progress';
}

export function mapEncounter(
  ctx: MappingContext,
  pv1: V2Segment,
  visit: Identifier,
  patientReference: string,
  sendingFacility: V2Segment,
): FhirResource {
  const patientClass = pv1.value(2).toUpperCase();
  const start = readDateTime(ctx, pv1, 44);
  const end = readDateTime(ctx, pv1, 45);
  if (start && end && Date.parse(end) < Date.parse(start)) {
    throw new Hl7MappingError('bad-value', `PV1-45 discharge time ${end} is before PV1-44 admit time ${start}`, pv1.at(45));
  }

  const encounter: FhirResource = {
    resourceType: 'Encounter',
    id: encounterId(ctx, visit),
    identifier: [visit],
    status: encounterStatus(patientClass, end !== undefined),
  };

  if (!NO_CLASS.has(patientClass)) {
    const mapped = ENCOUNTER_CLASS[patientClass];
    // The R5 binding is preferred, not required: an unmapped local class is kept as its v2 code.
    encounter.class = [mapped ? { coding: [{ system: ACT_CODE, ...mapped }] } : v2TableCode('0004', patientClass)];
  }

  encounter.subject = { reference: patientReference };

  const attending = pv1.repetitions(7).map((xcn) => xcnToReference(ctx, xcn)).filter((r) => r !== undefined);
  if (attending.length > 0) {
    encounter.participant = attending.map((actor) => ({
      type: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'ATND', display: 'attender' }] }],
      actor,
    }));
  }

  if (start || end) encounter.actualPeriod = { ...(start && { start }), ...(end && { end }) };

  const location = pv1.first(3);
  const place = [location.get(1), location.get(2), location.get(3)].filter(Boolean).join(' ');
  if (place) encounter.location = [{ location: { display: place } }];

  // Servicing facility (PV1-39), else the facility of the location (PL.4), else the sending
  // facility (MSH-4). Only a display: v2 names facilities, it does not identify Organizations.
  const msh4 = sendingFacility.first(4);
  const facility = pv1.value(39) || location.get(4, 1) || location.get(4, 2) || msh4.get(1) || msh4.get(2);
  if (facility) encounter.serviceProvider = { display: facility };

  return encounter;
}
