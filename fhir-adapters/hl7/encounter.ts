// PV1 -> Encounter (v2-to-FHIR IG segment map PV1[Encounter]), written for R5: `class` is a
// list of CodeableConcepts and the period is `actualPeriod`. The ADT event decides the status
// (IG message maps ADT_A02, ADT_A03, ADT_A05, ADT_A11, ADT_A13).

import type { FhirResource } from '../../gateway/store/service.js';
import { cxToIdentifier, type Identifier, v2TableCode, xcnToReference } from './datatypes.js';
import { optionalField, readDateTime, warnUnplaced, type MappingContext } from './mapping-context.js';
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

/** What an ADT trigger event says about the visit. */
export type VisitEvent = 'admit' | 'update' | 'transfer' | 'discharge' | 'pre-admit' | 'cancel-admit' | 'cancel-discharge';

/** Status: A03 completes; A11 cancels (the admission did not happen, whether entered by mistake
 * or called off: R5 `cancelled` covers both, `entered-in-error` only the first); A13 reopens;
 * A05 and class P are planned; otherwise a discharge time (PV1-45) means completed and any other
 * admit, registration, transfer or update describes an encounter under way. */
function encounterStatus(event: VisitEvent, patientClass: string, discharged: boolean): string {
  if (event === 'discharge') return 'completed';
  if (event === 'cancel-admit') return 'cancelled';
  if (event === 'cancel-discharge') return 'in-progress';
  if (event === 'pre-admit' || patientClass === 'P') return 'planned';
  return discharged ? 'completed' : 'in-progress';
}

export interface EncounterSource {
  pv1: V2Segment;
  /** The visit number; undefined when the message has none (then the id is keyed on the
   * message control id and the Encounter carries no identifier). */
  visit: Identifier | undefined;
  controlId: string;
  patientReference: string;
  msh: V2Segment;
  evn: V2Segment | undefined;
  event: VisitEvent;
}

function period(ctx: MappingContext, source: EncounterSource): { start?: string; end?: string } {
  const { pv1, evn, event } = source;
  const start = optionalField(ctx, () => readDateTime(ctx, pv1, 44));
  // A13 reopens the visit: the discharge time it still carries is the one being cancelled.
  let end = event === 'cancel-discharge' ? undefined : optionalField(ctx, () => readDateTime(ctx, pv1, 45));
  // A03 without PV1-45: the event time (EVN-6 occurred, else EVN-2 recorded) is the discharge.
  if (!end && event === 'discharge' && evn) end = optionalField(ctx, () => readDateTime(ctx, evn, 6) ?? readDateTime(ctx, evn, 2));
  if (start && end && Date.parse(end) < Date.parse(start)) {
    warnUnplaced(ctx, pv1.at(45), `PV1-45 discharge time ${end} is before PV1-44 admit time ${start}; end left out`);
    end = undefined;
  }
  return { ...(start && { start }), ...(end && { end }) };
}

export function mapEncounter(ctx: MappingContext, source: EncounterSource): FhirResource {
  const { pv1, visit, event } = source;
  const patientClass = pv1.value(2).toUpperCase();
  const actualPeriod = period(ctx, source);

  const encounter: FhirResource = {
    resourceType: 'Encounter',
    id: visit ? encounterId(ctx, visit) : ctx.ids('Encounter', 'message', source.controlId),
    ...(visit && { identifier: [visit] }),
    status: encounterStatus(event, patientClass, actualPeriod.end !== undefined),
  };

  if (!NO_CLASS.has(patientClass)) {
    const mapped = ENCOUNTER_CLASS[patientClass];
    // The R5 binding is preferred, not required: an unmapped local class is kept as its v2 code.
    encounter.class = [mapped ? { coding: [{ system: ACT_CODE, ...mapped }] } : v2TableCode('0004', patientClass)];
  }

  encounter.subject = { reference: source.patientReference };

  const attending = pv1.repetitions(7).map((xcn) => xcnToReference(ctx, xcn)).filter((r) => r !== undefined);
  if (attending.length > 0) {
    encounter.participant = attending.map((actor) => ({
      type: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'ATND', display: 'attender' }] }],
      actor,
    }));
  }

  if (actualPeriod.start || actualPeriod.end) encounter.actualPeriod = actualPeriod;

  const location = pv1.first(3);
  const place = [location.get(1), location.get(2), location.get(3)].filter(Boolean).join(' ');
  // A02 moves the patient: PV1-3 is the new bed (active), PV1-6 the one left (completed).
  const prior = pv1.first(6);
  const priorPlace = event === 'transfer' ? [prior.get(1), prior.get(2), prior.get(3)].filter(Boolean).join(' ') : '';
  const locations = [
    ...(priorPlace ? [{ location: { display: priorPlace }, status: 'completed' }] : []),
    ...(place ? [{ location: { display: place }, ...(event === 'transfer' && { status: 'active' }) }] : []),
  ];
  if (locations.length > 0) encounter.location = locations;

  // Servicing facility (PV1-39), else the facility of the location (PL.4), else the sending
  // facility (MSH-4). Only a display: v2 names facilities, it does not identify Organizations.
  const msh4 = source.msh.first(4);
  const facility = pv1.value(39) || location.get(4, 1) || location.get(4, 2) || msh4.get(1) || msh4.get(2);
  if (facility) encounter.serviceProvider = { display: facility };

  return encounter;
}
