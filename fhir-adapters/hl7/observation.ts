// OBX -> Observation (v2-to-FHIR IG segment map OBX[Observation]).

import type { FhirResource } from '../../gateway/store/service.js';
import { V2_TABLE } from './code-systems.js';
import { cweToCodeableConcept } from './datatypes.js';
import { optionalField, readDateTime, type MappingContext } from './mapping-context.js';
import { Hl7MappingError, describeLocation } from './mapping-error.js';
import { observationValue, referenceRange, SUPPORTED_VALUE_TYPES } from './observation-value.js';
import type { V2Segment } from './v2-segment.js';

/** v2 table 0085 -> observation-status (IG ConceptMap, completed for the codes it leaves open:
 * unverified and partial results are preliminary, "in lab" is registered, "not asked" and
 * "cannot be obtained" are cancelled, appended is an amendment). */
const STATUS: Record<string, string> = {
  F: 'final', U: 'final', V: 'final', C: 'corrected', A: 'amended', B: 'amended',
  P: 'preliminary', R: 'preliminary', S: 'preliminary', I: 'registered', O: 'registered',
  D: 'entered-in-error', W: 'entered-in-error', X: 'cancelled', N: 'cancelled',
};

const V3_INTERPRETATION = 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation';
/** Table 0078 codes that v3 ObservationInterpretation (derived from it) carries unchanged. */
const V3_INTERPRETATION_CODES = new Set([
  'L', 'H', 'LL', 'HH', '<', '>', 'N', 'A', 'AA', 'U', 'D', 'B', 'W', 'S', 'R', 'I', 'MS', 'VS',
  'NEG', 'POS', 'IND', 'DET', 'ND', 'E', 'EX', 'HX', 'LX', 'NR', 'RR', 'SDD', 'TOX', 'WR', 'QCF',
]);

export interface ObservationContext {
  id: string;
  subject: string;
  encounter?: Record<string, unknown>;
  /** OBR-7, used when the OBX has no observation time of its own (OBX-14). */
  effectiveFallback?: string;
  notes: string[];
}

const DATA_ABSENT_REASON = 'http://terminology.hl7.org/CodeSystem/data-absent-reason';

function status(obx: V2Segment): string {
  const code = obx.value(11).toUpperCase();
  if (!code) return 'unknown';
  const mapped = STATUS[code];
  if (!mapped) {
    throw new Hl7MappingError('bad-value', `${describeLocation(obx.at(11))} '${code}' is not an observation result status (HL7 table 0085); status unknown`, obx.at(11));
  }
  return mapped;
}

export function mapObservation(ctx: MappingContext, obx: V2Segment, context: ObservationContext): FhirResource {
  const code = cweToCodeableConcept(ctx, obx.first(3));
  if (!code) {
    throw new Hl7MappingError('missing-field', `${describeLocation(obx.at(3))} (observation identifier) is empty`, obx.at(3));
  }
  const observation: FhirResource = { resourceType: 'Observation', id: context.id, status: optionalField(ctx, () => status(obx)) ?? 'unknown', code };
  observation.subject = { reference: context.subject };
  if (context.encounter) observation.encounter = context.encounter;

  const effective = optionalField(ctx, () => readDateTime(ctx, obx, 14)) ?? context.effectiveFallback;
  if (effective) observation.effectiveDateTime = effective;

  const value = optionalField(ctx, () => observationValue(ctx, obx));
  if (value) Object.assign(observation, value);
  else {
    // The sender sent a value this node could not read: say so rather than look like no result.
    const reason = SUPPORTED_VALUE_TYPES.has(obx.value(2).toUpperCase()) ? 'error' : 'unsupported';
    observation.dataAbsentReason = { coding: [{ system: DATA_ABSENT_REASON, code: reason }] };
  }

  const interpretation = obx.repetitions(8).map((rep) => {
    const c = rep.get(1);
    return { coding: [{ system: V3_INTERPRETATION_CODES.has(c) ? V3_INTERPRETATION : V2_TABLE('0078'), code: c }] };
  });
  if (interpretation.length > 0) observation.interpretation = interpretation;

  if (context.notes.length > 0) observation.note = context.notes.map((text) => ({ text }));

  const range = referenceRange(obx);
  if (range) observation.referenceRange = range;

  return observation;
}
