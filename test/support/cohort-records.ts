import { dayNumber } from '../../gateway/cohort/day-number.js';
import { diagnosisCodeElement } from '../../gateway/cohort/diagnosis-code.js';
import type { FeatureRecord } from '../../gateway/cohort/features.js';
import { LAB_NAMES } from '../../gateway/cohort/feature-schema.js';

const SNOMED = 'http://snomed.info/sct';
const ICD10 = 'http://hl7.org/fhir/sid/icd-10';
export const T2DM = { system: SNOMED, code: '44054006' };
export const HYPERTENSION = { system: SNOMED, code: '38341003' };
export const CKD = { system: ICD10, code: 'N18.3' };
const POOL = [T2DM, HYPERTENSION, CKD, { system: SNOMED, code: '195967001' }, { system: ICD10, code: 'E78.5' }];

/** A deterministic PRNG so that failures reproduce. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function baseRecord(overrides: Partial<FeatureRecord> = {}): FeatureRecord {
  const labs = Object.fromEntries(LAB_NAMES.map((n) => [n, { value: null, day: null }])) as FeatureRecord['labs'];
  return { birthDay: dayNumber('1970-06-15'), sex: 2, labs, diagnoses: [], salt: 12345n, ...overrides };
}

/** Varied records: some labs missing, values around typical thresholds, 0-4 diagnoses. */
export function randomRecords(count: number, seed: number): FeatureRecord[] {
  const rnd = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  return Array.from({ length: count }, (_, i) => {
    const lab = (lo: number, hi: number) =>
      rnd() < 0.2 ? { value: null, day: null } : { value: lo + Math.floor(rnd() * (hi - lo)), day: rnd() < 0.1 ? null : 45000 + Math.floor(rnd() * 1000) };
    const dx = [...new Set(Array.from({ length: Math.floor(rnd() * 5) }, () => pick(POOL)))];
    return {
      birthDay: rnd() < 0.05 ? null : 15000 + Math.floor(rnd() * 30000),
      sex: pick([0, 1, 2, 3] as const),
      labs: { hba1c: lab(450, 1000), egfr: lab(150, 1200), bmi: lab(1700, 4200), ldl: lab(500, 2200), systolicBP: lab(95, 190) },
      diagnoses: dx.map((c) => diagnosisCodeElement(c.system, c.code)),
      salt: BigInt(1000 + i) * 7919n + BigInt(seed),
    };
  });
}
