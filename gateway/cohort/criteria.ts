import { badRequest, OperationOutcomeError } from '@medplum/core';
import { dayNumber } from './day-number.js';
import { diagnosisCodeElement } from './diagnosis-code.js';
import type { FeatureRecord } from './features.js';
import { FEATURE_SCHEMA, featureSchemaId, MAX_SCALED_LAB_VALUE, type LabName } from './feature-schema.js';
import type { PoseidonHash } from './poseidon.js';
import { fieldWidth, RECORD_FIELDS, type RecordField } from './record-encoding.js';

/**
 * The cohort criteria language: a conjunction of criteria in the shape of iden3's query
 * language ({field, op, value}) plus two clinical shortcuts.
 *
 *   [{ "field": "hba1c", "op": "gte", "value": 6.5 },
 *    { "field": "sex", "op": "in", "values": ["female", "other"] },
 *    { "ageAtDateBetween": { "date": "2025-01-01", "min": 18, "max": 75 } },
 *    { "hasAnyDiagnosis": [{ "system": "http://snomed.info/sct", "code": "44054006" }] }]
 *
 * Values are in natural units: lab values in the schema unit, dates as YYYY-MM-DD, sex as
 * unknown|male|female|other. A comparison on an absent value is false, whatever the operator.
 */
export type ScalarOp = 'eq' | 'ne' | 'lt' | 'lte' | 'gt' | 'gte';
export type SetOp = 'in' | 'nin';
export type CriterionValue = number | string;
export interface DiagnosisCoding {
  system: string;
  code: string;
}
export type Criterion =
  | { field: RecordField; op: ScalarOp; value: CriterionValue }
  | { field: RecordField; op: 'between'; values: [CriterionValue, CriterionValue] }
  | { field: RecordField; op: SetOp; values: CriterionValue[] }
  | { ageAtDateBetween: { date: string; min: number; max: number } }
  | { hasAnyDiagnosis: DiagnosisCoding[] }
  | { hasNoDiagnosis: DiagnosisCoding[] };
export type CohortCriteria = Criterion[];

/** Criteria in the circuits' private-input encoding; the hash of it is the public signal. */
export interface CompiledCriteria {
  schemaId: bigint;
  scalarSlots: bigint[];
  dxNegate: bigint[];
  dxCodes: bigint[][];
}

const { scalarSlots: SCALAR_SLOTS, diagnosisSlots: DIAGNOSIS_SLOTS, setSize: SET_SIZE } = FEATURE_SCHEMA.criteria;
/** 2^17: no stored field value reaches it, so it fills unused set entries. */
const NO_VALUE = 1n << BigInt(FEATURE_SCHEMA.dayBits);
/** Filler of unused diagnosis set entries: no real code element (a 248-bit digest) equals 1. */
const NO_CODE = 1n;
const SCALAR_OPS = new Set(['eq', 'ne', 'lt', 'lte', 'gt', 'gte']);
const SEX_CODES: Record<string, number> = FEATURE_SCHEMA.sexCodes;

function invalid(where: string, message: string): never {
  throw new OperationOutcomeError(badRequest(`${where}: ${message}`, where));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function labOf(field: RecordField): { name: LabName; scale: number } | undefined {
  const lab = FEATURE_SCHEMA.labs.find((l) => l.name === field);
  return lab && { name: lab.name, scale: lab.scale };
}

function isDateField(field: RecordField): boolean {
  return field === 'birthDate' || field.endsWith('.date');
}

/**
 * A criterion value on the field's integer grid: day number, sex code or scaled lab value
 * (not yet shifted by the +1 of storage). Rejects values the grid cannot represent exactly,
 * so "hba1c lt 6.555" is an error rather than a silently rounded query.
 */
function gridValue(field: RecordField, value: unknown, where: string): number {
  if (isDateField(field)) {
    const day = typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) ? dayNumber(value) : null;
    if (day === null) invalid(where, `${field} takes a date YYYY-MM-DD between 1900-01-01 and 2258-11-11`);
    return day;
  }
  if (field === 'sex') {
    const code = typeof value === 'string' ? SEX_CODES[value] : undefined;
    if (code === undefined) invalid(where, `sex takes one of ${Object.keys(SEX_CODES).join(', ')}`);
    return code;
  }
  const lab = labOf(field);
  if (!lab) invalid(where, `unknown field ${field}`);
  if (typeof value !== 'number' || !Number.isFinite(value)) invalid(where, `${field} takes a number`);
  const scaled = Math.round(value * lab.scale);
  if (Math.abs(scaled - value * lab.scale) > 1e-6) {
    invalid(where, `${value} is finer than ${field}'s resolution of ${1 / lab.scale}`);
  }
  if (scaled < 0 || scaled > MAX_SCALED_LAB_VALUE) {
    invalid(where, `${field} must lie in [0, ${MAX_SCALED_LAB_VALUE / lab.scale}]`);
  }
  return scaled;
}

function validCoding(coding: unknown, where: string): DiagnosisCoding {
  const systems: readonly string[] = FEATURE_SCHEMA.diagnosisSystems;
  if (!isRecord(coding) || typeof coding.system !== 'string' || typeof coding.code !== 'string' || coding.code === '') {
    invalid(where, 'a diagnosis is {"system": ..., "code": ...}');
  }
  if (!systems.includes(coding.system)) invalid(where, `system must be one of ${systems.join(', ')}`);
  return { system: coding.system, code: coding.code };
}

function validCodings(codings: unknown, where: string): DiagnosisCoding[] {
  if (!Array.isArray(codings) || codings.length === 0 || codings.length > SET_SIZE) {
    invalid(where, `takes 1 to ${SET_SIZE} diagnosis codings`);
  }
  return codings.map((c, i) => validCoding(c, `${where}[${i}]`));
}

function validCriterion(raw: unknown, where: string): Criterion {
  if (!isRecord(raw)) invalid(where, 'a criterion is an object');
  const keys = Object.keys(raw).sort().join(',');
  if (keys === 'hasAnyDiagnosis') return { hasAnyDiagnosis: validCodings(raw.hasAnyDiagnosis, `${where}.hasAnyDiagnosis`) };
  if (keys === 'hasNoDiagnosis') return { hasNoDiagnosis: validCodings(raw.hasNoDiagnosis, `${where}.hasNoDiagnosis`) };
  if (keys === 'ageAtDateBetween') {
    const age = raw.ageAtDateBetween;
    const at = `${where}.ageAtDateBetween`;
    if (!isRecord(age) || Object.keys(age).sort().join(',') !== 'date,max,min') invalid(at, 'takes {date, min, max}');
    gridValue('birthDate', age.date, `${at}.date`);
    const { min, max } = age;
    if (!Number.isInteger(min) || !Number.isInteger(max) || (min as number) < 0 || (max as number) > 150 || (min as number) > (max as number)) {
      invalid(at, 'min and max are whole years with 0 <= min <= max <= 150');
    }
    return { ageAtDateBetween: { date: age.date as string, min: min as number, max: max as number } };
  }
  const field = raw.field as RecordField;
  if (!(RECORD_FIELDS as readonly string[]).includes(field)) {
    invalid(`${where}.field`, `unknown field ${String(raw.field)}; fields are ${RECORD_FIELDS.join(', ')}`);
  }
  const op = raw.op;
  if (SCALAR_OPS.has(op as string)) {
    if (keys !== 'field,op,value') invalid(where, `${String(op)} takes {field, op, value}`);
    gridValue(field, raw.value, `${where}.value`);
    return { field, op: op as ScalarOp, value: raw.value as CriterionValue };
  }
  if (op === 'between') {
    if (keys !== 'field,op,values' || !Array.isArray(raw.values) || raw.values.length !== 2) {
      invalid(where, 'between takes {field, op, values: [min, max]}');
    }
    const [lo, hi] = raw.values.map((v, i) => gridValue(field, v, `${where}.values[${i}]`));
    if (lo > hi) invalid(`${where}.values`, 'min is greater than max');
    return { field, op, values: [raw.values[0], raw.values[1]] };
  }
  if (op === 'in' || op === 'nin') {
    if (keys !== 'field,op,values' || !Array.isArray(raw.values) || raw.values.length === 0 || raw.values.length > SET_SIZE) {
      invalid(where, `${op} takes {field, op, values} with 1 to ${SET_SIZE} values`);
    }
    raw.values.forEach((v, i) => gridValue(field, v, `${where}.values[${i}]`));
    return { field, op, values: raw.values as CriterionValue[] };
  }
  return invalid(`${where}.op`, 'op is one of eq, ne, lt, lte, gt, gte, between, in, nin');
}

/**
 * Validates untrusted criteria JSON and returns it typed. Errors are OperationOutcomeError
 * (400) naming the offending path, e.g. "criteria[1].value: 6.555 is finer than ...".
 */
export function validateCriteria(raw: unknown): CohortCriteria {
  if (!Array.isArray(raw) || raw.length === 0) invalid('criteria', 'criteria is a non-empty array of criteria');
  const criteria = raw.map((c, i) => validCriterion(c, `criteria[${i}]`));
  const diagnosis = criteria.filter((c) => 'hasAnyDiagnosis' in c || 'hasNoDiagnosis' in c).length;
  if (diagnosis > DIAGNOSIS_SLOTS) invalid('criteria', `at most ${DIAGNOSIS_SLOTS} diagnosis criteria`);
  if (criteria.length - diagnosis > SCALAR_SLOTS) invalid('criteria', `at most ${SCALAR_SLOTS} field and age criteria`);
  return criteria;
}

/** Birth-date window (day numbers) of people whose age in whole years at `date` is in [min, max]. */
export function birthWindowForAge(date: string, min: number, max: number): [number, number] {
  const [y, m, d] = date.split('-').map(Number);
  // The latest birth date at which someone is `years` old on `date`: same month and day, years
  // earlier, with 29 February falling back to the 28th in common years.
  const latestBirth = (years: number): number | null => {
    const lastDay = new Date(Date.UTC(y - years, m, 0)).getUTCDate();
    const iso = `${String(y - years).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(Math.min(d, lastDay)).padStart(2, '0')}`;
    return dayNumber(iso);
  };
  const newest = latestBirth(min);
  const beforeOldest = latestBirth(max + 1);
  return [beforeOldest === null ? 1 : beforeOldest + 1, newest ?? 0];
}

interface Slot {
  field: number;
  lo: number;
  hi: number;
  negate: boolean;
  set: number[];
}

const ALWAYS_TRUE: Slot = { field: 0, lo: 0, hi: 2 ** FEATURE_SCHEMA.dayBits - 1, negate: true, set: [] };

function slotFor(criterion: Criterion): Slot {
  if ('ageAtDateBetween' in criterion) {
    const { date, min, max } = criterion.ageAtDateBetween;
    const [lo, hi] = birthWindowForAge(date, min, max);
    return lo <= hi ? { field: 0, lo, hi, negate: true, set: [] } : { field: 0, lo: 1, hi: 0, negate: true, set: [] };
  }
  if (!('field' in criterion)) throw new Error('diagnosis criteria do not use scalar slots');
  const field = RECORD_FIELDS.indexOf(criterion.field);
  const absentable = criterion.field !== 'sex';
  // Stored values: absent = 0, lab values shifted by one, day numbers and sex as they are.
  const shift = labOf(criterion.field) ? 1 : 0;
  const stored = (v: CriterionValue): number => gridValue(criterion.field, v, 'criterion') + shift;
  const present = { lo: absentable ? 1 : 0, hi: 2 ** fieldWidth(field) - 1 };
  const range = (lo: number, hi: number): Slot =>
    lo <= hi ? { field, lo, hi, negate: true, set: [] } : { field, lo: 1, hi: 0, negate: true, set: [] };
  switch (criterion.op) {
    case 'eq':
      return range(stored(criterion.value), stored(criterion.value));
    case 'lt':
      return range(present.lo, stored(criterion.value) - 1);
    case 'lte':
      return range(present.lo, stored(criterion.value));
    case 'gt':
      return range(stored(criterion.value) + 1, present.hi);
    case 'gte':
      return range(stored(criterion.value), present.hi);
    case 'between':
      return range(stored(criterion.values[0]), stored(criterion.values[1]));
    case 'ne':
      return { field, ...present, negate: true, set: [stored(criterion.value)] };
    case 'in':
    case 'nin':
      return { field, ...present, negate: criterion.op === 'nin', set: [...new Set(criterion.values.map(stored))].sort((a, b) => a - b) };
  }
}

function packSlot(slot: Slot): bigint {
  const set = [...slot.set.map(BigInt), ...Array<bigint>(SET_SIZE - slot.set.length).fill(NO_VALUE)];
  let word = BigInt(slot.field) | (BigInt(slot.lo) << 4n) | (BigInt(slot.hi) << 21n) | (BigInt(slot.negate ? 1 : 0) << 38n);
  set.forEach((v, j) => {
    word |= v << BigInt(39 + 18 * j);
  });
  return word;
}

/**
 * Compiles validated criteria into the circuits' encoding. Deterministic: the verifier compiles
 * the query itself and compares the hash with the proof's public criteriaHash.
 */
export function compileCriteria(criteria: CohortCriteria): CompiledCriteria {
  const checked = validateCriteria(criteria);
  const scalar = checked.filter((c) => !('hasAnyDiagnosis' in c) && !('hasNoDiagnosis' in c)).map(slotFor);
  const dx = checked.flatMap((c) =>
    'hasAnyDiagnosis' in c ? [{ negate: 0n, codings: c.hasAnyDiagnosis }] : 'hasNoDiagnosis' in c ? [{ negate: 1n, codings: c.hasNoDiagnosis }] : [],
  );
  const scalarSlots = [...scalar, ...Array<Slot>(SCALAR_SLOTS - scalar.length).fill(ALWAYS_TRUE)].map(packSlot);
  const dxNegate: bigint[] = [];
  const dxCodes: bigint[][] = [];
  for (let d = 0; d < DIAGNOSIS_SLOTS; d++) {
    const slot = dx[d];
    // An unused diagnosis slot is "has none of {1}", which every record satisfies.
    const codes = slot ? [...new Set(slot.codings.map((c) => diagnosisCodeElement(c.system, c.code)))].sort((a, b) => (a < b ? -1 : 1)) : [];
    dxNegate.push(slot ? slot.negate : 1n);
    dxCodes.push([...codes, ...Array<bigint>(SET_SIZE - codes.length).fill(NO_CODE)]);
  }
  return { schemaId: featureSchemaId(), scalarSlots, dxNegate, dxCodes };
}

/** criteriaHash = Poseidon(schemaId, scalar slots, Poseidon(negate, codes) per diagnosis slot). */
export function criteriaHash(hash: PoseidonHash, compiled: CompiledCriteria): bigint {
  const dxHashes = compiled.dxCodes.map((codes, d) => hash([compiled.dxNegate[d], ...codes]));
  return hash([compiled.schemaId, ...compiled.scalarSlots, ...dxHashes]);
}

function ageInYears(birthDay: number, date: string): number {
  const birth = new Date(Date.UTC(1899, 11, 31) + birthDay * 86_400_000);
  const [y, m, d] = date.split('-').map(Number);
  const beforeBirthday = m < birth.getUTCMonth() + 1 || (m === birth.getUTCMonth() + 1 && d < birth.getUTCDate());
  return y - birth.getUTCFullYear() - (beforeBirthday ? 1 : 0);
}

function recordValue(record: FeatureRecord, field: RecordField): number | null {
  if (field === 'birthDate') return record.birthDay;
  if (field === 'sex') return record.sex;
  if (field.endsWith('.date')) return record.labs[field.slice(0, -5) as LabName].day;
  return record.labs[field as LabName].value;
}

/**
 * Evaluates criteria directly on a feature record, without the circuit encoding: the reference
 * the circuits are tested against, and what a hospital can run to preview a query locally.
 */
export function evaluateCriteria(record: FeatureRecord, criteria: CohortCriteria): boolean {
  return validateCriteria(criteria).every((c) => {
    if ('hasAnyDiagnosis' in c) return c.hasAnyDiagnosis.some((x) => record.diagnoses.includes(diagnosisCodeElement(x.system, x.code)));
    if ('hasNoDiagnosis' in c) return !c.hasNoDiagnosis.some((x) => record.diagnoses.includes(diagnosisCodeElement(x.system, x.code)));
    if ('ageAtDateBetween' in c) {
      if (record.birthDay === null) return false;
      const age = ageInYears(record.birthDay, c.ageAtDateBetween.date);
      return age >= c.ageAtDateBetween.min && age <= c.ageAtDateBetween.max;
    }
    const x = recordValue(record, c.field);
    if (x === null) return false;
    const v = (value: CriterionValue): number => gridValue(c.field, value, 'criterion');
    switch (c.op) {
      case 'eq':
        return x === v(c.value);
      case 'ne':
        return x !== v(c.value);
      case 'lt':
        return x < v(c.value);
      case 'lte':
        return x <= v(c.value);
      case 'gt':
        return x > v(c.value);
      case 'gte':
        return x >= v(c.value);
      case 'between':
        return x >= v(c.values[0]) && x <= v(c.values[1]);
      case 'in':
        return c.values.some((value) => x === v(value));
      case 'nin':
        return !c.values.some((value) => x === v(value));
    }
  });
}

