import { dayNumber } from './day-number.js';
import { diagnosisCodeElement } from './diagnosis-code.js';
import { FEATURE_SCHEMA, MAX_SCALED_LAB_VALUE, type FeatureSchema, type LabName } from './feature-schema.js';

/** A lab's latest value as a scaled integer (value * scale) and the day it was observed. */
export interface LabFeature {
  value: number | null;
  day: number | null;
}

/** One patient's feature record: the leaf content of the hospital's committed cohort tree. */
export interface FeatureRecord {
  birthDay: number | null;
  sex: 0 | 1 | 2 | 3;
  labs: Record<LabName, LabFeature>;
  /** Diagnosis code elements, at most schema.maxDiagnoses, most recent first. */
  diagnoses: bigint[];
  /** The patient's identity commitment Poseidon(patientSecret); also hides the leaf. */
  salt: bigint;
}

interface Coding {
  system?: string;
  code?: string;
}
interface CodeableConcept {
  coding?: Coding[];
}
interface Quantity {
  value?: number;
  unit?: string;
  code?: string;
}

/** The parts of R5 Patient, Condition and Observation that feature extraction reads. */
export interface PatientLike {
  resourceType: 'Patient';
  birthDate?: string;
  gender?: string;
}
export interface ConditionLike {
  resourceType: 'Condition';
  code?: CodeableConcept;
  clinicalStatus?: CodeableConcept;
  verificationStatus?: CodeableConcept;
  onsetDateTime?: string;
  onsetPeriod?: { start?: string };
  recordedDate?: string;
}
export interface ObservationLike {
  resourceType: 'Observation';
  status?: string;
  code?: CodeableConcept;
  effectiveDateTime?: string;
  effectivePeriod?: { start?: string };
  effectiveInstant?: string;
  issued?: string;
  valueQuantity?: Quantity;
  component?: { code?: CodeableConcept; valueQuantity?: Quantity }[];
}

export interface PatientResources {
  patient: PatientLike;
  conditions: readonly ConditionLike[];
  observations: readonly ObservationLike[];
}

const LOINC = 'http://loinc.org';
const ACTIVE_CLINICAL = new Set(['active', 'recurrence', 'relapse']);
const EXCLUDED_VERIFICATION = new Set(['refuted', 'entered-in-error']);
const USABLE_OBSERVATION = new Set(['final', 'amended', 'corrected']);

function codes(concept: CodeableConcept | undefined): string[] {
  return (concept?.coding ?? []).map((c) => c.code ?? '');
}

function hasLoinc(concept: CodeableConcept | undefined, wanted: readonly string[]): boolean {
  return (concept?.coding ?? []).some((c) => c.system === LOINC && c.code !== undefined && wanted.includes(c.code));
}

function sexCode(gender: string | undefined, schema: FeatureSchema): FeatureRecord['sex'] {
  switch (gender) {
    case 'male':
      return schema.sexCodes.male;
    case 'female':
      return schema.sexCodes.female;
    case 'other':
      return schema.sexCodes.other;
    default:
      return schema.sexCodes.unknown;
  }
}

/** Scales a quantity to the lab's integer grid; null when the unit is unknown or it does not fit. */
function scaledValue(quantity: Quantity | undefined, lab: FeatureSchema['labs'][number]): number | null {
  if (quantity?.value === undefined || !Number.isFinite(quantity.value)) return null;
  const unit = quantity.code ?? quantity.unit ?? lab.unit;
  const factor = (lab.units as Record<string, number>)[unit];
  if (factor === undefined) return null;
  const scaled = Math.round(quantity.value * factor * lab.scale);
  return scaled >= 0 && scaled <= MAX_SCALED_LAB_VALUE ? scaled : null;
}

function observationDay(obs: ObservationLike): number | null {
  const when = obs.effectiveDateTime ?? obs.effectivePeriod?.start ?? obs.effectiveInstant ?? obs.issued;
  return when === undefined ? null : dayNumber(when);
}

function latestLab(observations: readonly ObservationLike[], lab: FeatureSchema['labs'][number]): LabFeature {
  let best: LabFeature = { value: null, day: null };
  const panels: readonly string[] = 'panels' in lab ? lab.panels : [];
  for (const obs of observations) {
    if (obs.status !== undefined && !USABLE_OBSERVATION.has(obs.status)) continue;
    let value: number | null = null;
    if (hasLoinc(obs.code, lab.loinc)) {
      value = scaledValue(obs.valueQuantity, lab);
    } else if (hasLoinc(obs.code, panels)) {
      const component = (obs.component ?? []).find((c) => hasLoinc(c.code, lab.loinc));
      value = scaledValue(component?.valueQuantity, lab);
    }
    if (value === null) continue;
    const day = observationDay(obs);
    // Latest wins; an undated value only fills in when nothing dated was found.
    if (best.value === null || (day !== null && (best.day === null || day >= best.day))) {
      best = { value, day };
    }
  }
  return best;
}

function conditionDay(condition: ConditionLike): number {
  const when = condition.onsetDateTime ?? condition.onsetPeriod?.start ?? condition.recordedDate;
  return (when === undefined ? null : dayNumber(when)) ?? 0;
}

/**
 * Diagnosis codes of current conditions (clinical status active/recurrence/relapse or not
 * stated, not refuted or entered in error), every coding in a supported system, deduplicated,
 * most recent onset first, capped at schema.maxDiagnoses.
 */
function diagnoses(conditions: readonly ConditionLike[], schema: FeatureSchema): bigint[] {
  const systems: readonly string[] = schema.diagnosisSystems;
  const dated: { day: number; element: bigint }[] = [];
  for (const condition of conditions) {
    const clinical = codes(condition.clinicalStatus);
    if (clinical.length > 0 && !clinical.some((c) => ACTIVE_CLINICAL.has(c))) continue;
    if (codes(condition.verificationStatus).some((c) => EXCLUDED_VERIFICATION.has(c))) continue;
    for (const coding of condition.code?.coding ?? []) {
      if (coding.system === undefined || coding.code === undefined || !systems.includes(coding.system)) continue;
      dated.push({ day: conditionDay(condition), element: diagnosisCodeElement(coding.system, coding.code) });
    }
  }
  dated.sort((a, b) => b.day - a.day || (a.element < b.element ? -1 : a.element > b.element ? 1 : 0));
  const unique = [...new Set(dated.map((d) => d.element))];
  return unique.slice(0, schema.maxDiagnoses);
}

/** Derives a patient's feature record from their R5 resources. */
export function extractFeatures(
  resources: PatientResources,
  salt: bigint,
  schema: FeatureSchema = FEATURE_SCHEMA,
): FeatureRecord {
  const labs = {} as Record<LabName, LabFeature>;
  for (const lab of schema.labs) labs[lab.name] = latestLab(resources.observations, lab);
  return {
    birthDay: resources.patient.birthDate === undefined ? null : dayNumber(resources.patient.birthDate),
    sex: sexCode(resources.patient.gender, schema),
    labs,
    diagnoses: diagnoses(resources.conditions, schema),
    salt,
  };
}
