import { createHash } from 'node:crypto';

/**
 * The consortium-wide feature schema: what a patient's feature record holds, how each value is
 * scaled to an integer, and the fixed shapes the circuits were compiled for. Changing anything
 * here changes the schema hash, and therefore every criteria hash, and needs new circuits.
 */
export const FEATURE_SCHEMA = {
  id: 'urn:careledger:cohort:feature-schema:v1',
  // Day numbers count from 1899-12-31, so 1900-01-01 is day 1 and 0 can mean "absent".
  dayNumberEpoch: '1899-12-31',
  dayBits: 17,
  sexBits: 2,
  labValueBits: 16,
  sexCodes: { unknown: 0, male: 1, female: 2, other: 3 },
  maxDiagnoses: 8,
  diagnosisSystems: [
    'http://snomed.info/sct',
    'http://hl7.org/fhir/sid/icd-10',
    'http://hl7.org/fhir/sid/icd-10-cm',
  ],
  // scale: stored integer = round(value in `unit` * scale); units: accepted UCUM unit -> factor to `unit`.
  labs: [
    { name: 'hba1c', loinc: ['4548-4'], unit: '%', scale: 100, units: { '%': 1 } },
    {
      name: 'egfr',
      loinc: ['33914-3', '62238-1', '98979-8'],
      unit: 'mL/min/{1.73_m2}',
      scale: 10,
      units: { 'mL/min/{1.73_m2}': 1, 'mL/min/1.73m2': 1, 'mL/min': 1 },
    },
    { name: 'bmi', loinc: ['39156-5'], unit: 'kg/m2', scale: 100, units: { 'kg/m2': 1 } },
    { name: 'ldl', loinc: ['18262-6', '13457-7'], unit: 'mg/dL', scale: 10, units: { 'mg/dL': 1, 'mmol/L': 38.67 } },
    { name: 'systolicBP', loinc: ['8480-6'], panels: ['85354-9'], unit: 'mm[Hg]', scale: 1, units: { 'mm[Hg]': 1 } },
  ],
  criteria: { scalarSlots: 6, diagnosisSlots: 2, setSize: 8 },
  tree: { arity: 16, depth: 5, chunkSize: 16 },
} as const;

export type FeatureSchema = typeof FEATURE_SCHEMA;
export type LabName = FeatureSchema['labs'][number]['name'];
export const LAB_NAMES: readonly LabName[] = FEATURE_SCHEMA.labs.map((lab) => lab.name);

/** Largest day number and largest stored lab value (stored = scaled + 1, 0 = absent). */
export const MAX_DAY_NUMBER = 2 ** FEATURE_SCHEMA.dayBits - 1;
export const MAX_SCALED_LAB_VALUE = 2 ** FEATURE_SCHEMA.labValueBits - 2;

function sortedJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(sortedJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${sortedJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** SHA-256 (hex) of the schema's sorted-key JSON: the schema's identity. */
export function featureSchemaHash(schema: FeatureSchema = FEATURE_SCHEMA): string {
  return createHash('sha256').update(sortedJson(schema)).digest('hex');
}

/** The schema hash as a field element (first 31 bytes), bound into every criteria hash. */
export function featureSchemaId(schema: FeatureSchema = FEATURE_SCHEMA): bigint {
  return BigInt(`0x${featureSchemaHash(schema).slice(0, 62)}`);
}
