import type { FeatureRecord } from './features.js';
import { FEATURE_SCHEMA, LAB_NAMES } from './feature-schema.js';
import type { PoseidonHash } from './poseidon.js';

/**
 * Comparable fields in circuit order (circuits/src/record_fields.circom): index = position.
 * The circuits hard-wire this layout; the schema fixes widths and scales.
 */
export const RECORD_FIELDS = [
  'birthDate',
  'sex',
  ...LAB_NAMES,
  ...LAB_NAMES.map((name) => `${name}.date` as const),
] as const;
export type RecordField = (typeof RECORD_FIELDS)[number];

const WIDTHS = [
  FEATURE_SCHEMA.dayBits,
  FEATURE_SCHEMA.sexBits,
  ...LAB_NAMES.map(() => FEATURE_SCHEMA.labValueBits),
  ...LAB_NAMES.map(() => FEATURE_SCHEMA.dayBits),
];
export const ATTRIBUTE_BITS = WIDTHS.reduce((a, b) => a + b, 0);

/** Bit width of a field as stored in the attribute word. */
export function fieldWidth(index: number): number {
  return WIDTHS[index];
}

/**
 * Stored values of the 12 fields: day numbers as they are, lab values as scaled + 1, and 0
 * for anything absent (sex has no absent state: 0 is "unknown", a value like the others).
 */
export function storedFields(record: FeatureRecord): bigint[] {
  const labValues = LAB_NAMES.map((n) => (record.labs[n].value === null ? 0n : BigInt(record.labs[n].value) + 1n));
  const labDays = LAB_NAMES.map((n) => BigInt(record.labs[n].day ?? 0));
  return [BigInt(record.birthDay ?? 0), BigInt(record.sex), ...labValues, ...labDays];
}

/** Packs the stored fields into the single attribute word, least significant field first. */
export function packAttributes(record: FeatureRecord): bigint {
  let word = 0n;
  let offset = 0n;
  storedFields(record).forEach((value, i) => {
    if (value < 0n || value >= 1n << BigInt(WIDTHS[i])) {
      throw new RangeError(`${RECORD_FIELDS[i]} = ${value} does not fit in ${WIDTHS[i]} bits`);
    }
    word |= value << offset;
    offset += BigInt(WIDTHS[i]);
  });
  return word;
}

/** Diagnosis slots as the circuit sees them: code elements, then 0 for each empty slot. */
export function diagnosisSlots(record: FeatureRecord): bigint[] {
  if (record.diagnoses.length > FEATURE_SCHEMA.maxDiagnoses) {
    throw new RangeError(`a record holds at most ${FEATURE_SCHEMA.maxDiagnoses} diagnoses`);
  }
  return [...record.diagnoses, ...Array<bigint>(FEATURE_SCHEMA.maxDiagnoses - record.diagnoses.length).fill(0n)];
}

/** leaf = Poseidon(attributes, salt, diagnosis slots): what the hospital commits per patient. */
export function recordLeaf(hash: PoseidonHash, record: FeatureRecord): bigint {
  return hash([packAttributes(record), record.salt, ...diagnosisSlots(record)]);
}
