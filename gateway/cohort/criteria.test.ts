import { OperationOutcomeError } from '@medplum/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { baseRecord, CKD, HYPERTENSION, randomRecords, seededRandom, T2DM } from '../../test/support/cohort-records.js';
import { birthWindowForAge, compileCriteria, criteriaHash, evaluateCriteria, validateCriteria, type CohortCriteria, type CompiledCriteria } from './criteria.js';
import { dayNumber } from './day-number.js';
import type { FeatureRecord } from './features.js';
import { loadPoseidon, type PoseidonHash } from './poseidon.js';
import { diagnosisSlots, storedFields } from './record-encoding.js';

/**
 * A bit-level model of what the circuits compute from the compiled encoding (slot words,
 * set sentinels, negate bits), to check compileCriteria against evaluateCriteria on many
 * records quickly; circuits/*.test.ts check the circuits themselves against evaluateCriteria.
 */
function circuitModel(record: FeatureRecord, compiled: CompiledCriteria): boolean {
  const fields = storedFields(record);
  const bits = (word: bigint, at: number, width: number): bigint => (word >> BigInt(at)) & ((1n << BigInt(width)) - 1n);
  const scalarOk = compiled.scalarSlots.every((word) => {
    const x = fields[Number(bits(word, 0, 4))];
    const inRange = bits(word, 4, 17) <= x && x <= bits(word, 21, 17);
    const member = Array.from({ length: 8 }, (_, j) => bits(word, 39 + 18 * j, 18)).includes(x);
    return inRange && member !== (bits(word, 38, 1) === 1n);
  });
  const dx = diagnosisSlots(record);
  const dxOk = compiled.dxCodes.every((codes, d) => dx.some((c) => codes.includes(c)) !== (compiled.dxNegate[d] === 1n));
  return scalarOk && dxOk;
}

function randomCriteria(rnd: () => number): CohortCriteria {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const labs = [
    ['hba1c', 4.5, 10, 10],
    ['egfr', 15, 120, 10],
    ['bmi', 17, 42, 10],
    ['ldl', 50, 220, 10],
    ['systolicBP', 95, 190, 1],
  ] as const;
  const criteria: CohortCriteria = [];
  for (let i = 0; i < 1 + Math.floor(rnd() * 5); i++) {
    const [field, lo, hi, perUnit] = pick(labs);
    const v = (): number => Math.round((lo + rnd() * (hi - lo)) * perUnit) / perUnit;
    const op = pick(['eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'between', 'in', 'nin'] as const);
    if (op === 'between') {
      const [a, b] = [v(), v()].sort((x, y) => x - y);
      criteria.push({ field, op, values: [a, b] });
    } else if (op === 'in' || op === 'nin') criteria.push({ field, op, values: [v(), v(), v()] });
    else criteria.push({ field, op, value: v() });
  }
  if (rnd() < 0.5) {
    const op = pick(['eq', 'ne', 'in', 'nin'] as const);
    criteria.push(op === 'in' || op === 'nin' ? { field: 'sex', op, values: ['male', 'other'] } : { field: 'sex', op, value: pick(['male', 'female', 'unknown', 'other']) });
  }
  if (rnd() < 0.5) criteria.push(rnd() < 0.5 ? { hasAnyDiagnosis: [pick([T2DM, HYPERTENSION, CKD])] } : { hasNoDiagnosis: [pick([T2DM, CKD])] });
  if (rnd() < 0.5) criteria.push({ ageAtDateBetween: { date: '2024-02-29', min: Math.floor(rnd() * 50), max: 50 + Math.floor(rnd() * 40) } });
  // Up to 7 field criteria: queries over the 6-slot limit must be rejected, and are skipped below.
  return criteria;
}

let hash: PoseidonHash;
beforeAll(async () => {
  hash = await loadPoseidon();
});

describe('compileCriteria agrees with evaluateCriteria', () => {
  it('on 150 random queries x 48 random records', () => {
    const rnd = seededRandom(99);
    const records = randomRecords(48, 17);
    let matches = 0;
    for (let q = 0; q < 150; q++) {
      const criteria = randomCriteria(rnd);
      if (criteria.filter((c) => 'field' in c || 'ageAtDateBetween' in c).length > 6) continue;
      const compiled = compileCriteria(criteria);
      for (const r of records) {
        const expected = evaluateCriteria(r, criteria);
        matches += expected ? 1 : 0;
        expect([q, circuitModel(r, compiled)]).toEqual([q, expected]);
      }
    }
    expect(matches).toBeGreaterThan(50);
  });

  it('treats absent values as failing every comparison, ne and nin included', () => {
    const record = baseRecord();
    for (const op of ['eq', 'ne', 'lt', 'lte', 'gt', 'gte'] as const) {
      const criteria: CohortCriteria = [{ field: 'ldl', op, value: 100 }];
      expect(evaluateCriteria(record, criteria)).toBe(false);
      expect(circuitModel(record, compileCriteria(criteria))).toBe(false);
    }
    expect(circuitModel(record, compileCriteria([{ field: 'ldl', op: 'nin', values: [100] }]))).toBe(false);
    expect(circuitModel({ ...record, birthDay: null }, compileCriteria([{ ageAtDateBetween: { date: '2020-01-01', min: 0, max: 150 } }]))).toBe(false);
  });
});

describe('ageAtDateBetween', () => {
  it('turns 18 on the 18th birthday and leaves [18, 65] the day of the 66th', () => {
    const [lo, hi] = birthWindowForAge('2025-03-10', 18, 65);
    expect(hi).toBe(dayNumber('2007-03-10'));
    expect(lo).toBe((dayNumber('1959-03-10') as number) + 1);
  });

  it('handles 29 February as the date of interest', () => {
    const [, hi] = birthWindowForAge('2024-02-29', 1, 10);
    expect(hi).toBe(dayNumber('2023-02-28'));
    const criteria: CohortCriteria = [{ ageAtDateBetween: { date: '2024-02-29', min: 1, max: 10 } }];
    expect(evaluateCriteria(baseRecord({ birthDay: dayNumber('2023-02-28') }), criteria)).toBe(true);
    expect(evaluateCriteria(baseRecord({ birthDay: dayNumber('2023-03-01') }), criteria)).toBe(false);
  });
});

describe('validateCriteria', () => {
  const rejects = (raw: unknown, message: RegExp) => {
    try {
      validateCriteria(raw);
    } catch (error) {
      expect(error).toBeInstanceOf(OperationOutcomeError);
      expect((error as OperationOutcomeError).outcome.issue?.[0]?.details?.text).toMatch(message);
      return;
    }
    throw new Error('expected a rejection');
  };

  it.each([
    [[], /non-empty array/],
    [[{ field: 'weight', op: 'eq', value: 1 }], /unknown field weight/],
    [[{ field: 'hba1c', op: 'like', value: 1 }], /op is one of/],
    [[{ field: 'hba1c', op: 'lt', value: 6.555 }], /criteria\[0\]\.value: 6\.555 is finer than hba1c's resolution of 0\.01/],
    [[{ field: 'hba1c', op: 'lt', value: -1 }], /must lie in/],
    [[{ field: 'hba1c', op: 'between', values: [7, 6] }], /min is greater than max/],
    [[{ field: 'sex', op: 'eq', value: 'F' }], /sex takes one of/],
    [[{ field: 'birthDate', op: 'lt', value: '1899-12-31' }], /date YYYY-MM-DD/],
    [[{ field: 'ldl', op: 'in', values: [1, 2, 3, 4, 5, 6, 7, 8, 9] }], /1 to 8 values/],
    [[{ field: 'ldl', op: 'eq', value: 1, extra: true }], /takes \{field, op, value\}/],
    [[{ hasAnyDiagnosis: [{ system: 'http://loinc.org', code: '1' }] }], /system must be one of/],
    [[{ ageAtDateBetween: { date: '2020-01-01', min: 70, max: 60 } }], /0 <= min <= max/],
    [Array(7).fill({ field: 'ldl', op: 'gt', value: 1 }), /at most 6 field and age criteria/],
    [Array(3).fill({ hasAnyDiagnosis: [T2DM] }), /at most 2 diagnosis criteria/],
  ])('rejects %j', (raw, message) => rejects(raw, message));
});

describe('criteriaHash', () => {
  it('is stable for the same criteria and changes with any value', () => {
    const a = criteriaHash(hash, compileCriteria([{ field: 'hba1c', op: 'gte', value: 6.5 }]));
    expect(criteriaHash(hash, compileCriteria([{ field: 'hba1c', op: 'gte', value: 6.5 }]))).toBe(a);
    expect(criteriaHash(hash, compileCriteria([{ field: 'hba1c', op: 'gte', value: 6.51 }]))).not.toBe(a);
    expect(criteriaHash(hash, compileCriteria([{ field: 'hba1c', op: 'gt', value: 6.5 }]))).not.toBe(a);
  });
});
