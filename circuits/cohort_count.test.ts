import { beforeAll, describe, expect, it } from 'vitest';
import { dayNumber } from '../gateway/cohort/day-number.js';
import { chunkInput } from '../gateway/cohort/circuit-inputs.js';
import { buildCohortTree, chunkRoots } from '../gateway/cohort/cohort-tree.js';
import { loadCountCommitments, type CountCommitments } from '../gateway/cohort/count-commitment.js';
import { compileCriteria, criteriaHash, evaluateCriteria, type CohortCriteria } from '../gateway/cohort/criteria.js';
import type { FeatureRecord } from '../gateway/cohort/features.js';
import { FIELD_MODULUS, loadPoseidon, type PoseidonHash } from '../gateway/cohort/poseidon.js';
import { recordLeaf } from '../gateway/cohort/record-encoding.js';
import { baseRecord, CKD, HYPERTENSION, randomRecords, T2DM } from '../test/support/cohort-records.js';
import { witnessOutputs } from './witness.js';

let hash: PoseidonHash;
let commitments: CountCommitments;
beforeAll(async () => {
  hash = await loadPoseidon();
  commitments = await loadCountCommitments();
});

function inputFor(records: FeatureRecord[], criteria: CohortCriteria, blinding = 77n) {
  const compiled = compileCriteria(criteria);
  return chunkInput(compiled, criteriaHash(hash, compiled), records, blinding);
}

/** Expected public outputs computed in TypeScript only: commitment to the count, chunk root. */
function expected(records: FeatureRecord[], criteria: CohortCriteria, blinding = 77n): bigint[] {
  const count = records.filter((r) => evaluateCriteria(r, criteria)).length;
  const [root] = chunkRoots(buildCohortTree(hash, records.map((r) => recordLeaf(hash, r))));
  return [...commitments.commit(BigInt(count), blinding), root];
}

async function outputs(records: FeatureRecord[], criteria: CohortCriteria, blinding = 77n): Promise<bigint[]> {
  return witnessOutputs('cohort_count', inputFor(records, criteria, blinding), 3);
}

const QUERIES: CohortCriteria[] = [
  [{ field: 'hba1c', op: 'gte', value: 6.5 }],
  [{ field: 'sex', op: 'in', values: ['female', 'other'] }, { hasAnyDiagnosis: [T2DM, CKD] }],
  [{ ageAtDateBetween: { date: '2025-01-01', min: 40, max: 75 } }, { field: 'egfr', op: 'lt', value: 60 }, { hasNoDiagnosis: [HYPERTENSION] }],
  [{ field: 'ldl', op: 'between', values: [100, 160] }, { field: 'systolicBP', op: 'ne', value: 120 }, { field: 'bmi', op: 'nin', values: [25, 30.5] }],
  [{ field: 'hba1c.date', op: 'gt', value: '2023-06-01' }, { field: 'sex', op: 'eq', value: 'unknown' }],
];

describe('cohort_count witness', () => {
  it.each(QUERIES.map((q, i) => [i, q] as const))('matches the TypeScript count and chunk root for query %i', async (_, criteria) => {
    const records = randomRecords(16, 11);
    expect(await outputs(records, criteria)).toEqual(expected(records, criteria));
  });

  it('never counts padding slots, even when an all-zero record would match', async () => {
    const records = randomRecords(5, 3);
    // Padding has sex 0 (unknown) and no birth date; this query would match it if it counted.
    const criteria: CohortCriteria = [{ field: 'sex', op: 'eq', value: 'unknown' }];
    const result = await outputs(records, criteria, 5n);
    expect(result).toEqual(expected(records, criteria, 5n));
    expect(result[2]).toBe(chunkRoots(buildCohortTree(hash, records.map((r) => recordLeaf(hash, r))))[0]);
  });

  it.each([
    ['lt', 6.5, [0, 0, 1]],
    ['lte', 6.5, [0, 1, 1]],
    ['gt', 6.5, [1, 0, 0]],
    ['gte', 6.5, [1, 1, 0]],
    ['eq', 6.5, [0, 1, 0]],
    ['ne', 6.5, [1, 0, 1]],
  ] as const)('hba1c %s %d at limit+0.01, limit, limit-0.01', async (op, value, matches) => {
    const at = (scaled: number) => baseRecord({ labs: { ...baseRecord().labs, hba1c: { value: scaled, day: 45000 } } });
    const records = [at(651), at(650), at(649), baseRecord()];
    const criteria: CohortCriteria = [{ field: 'hba1c', op, value }];
    expect(records.slice(0, 3).map((r) => (evaluateCriteria(r, criteria) ? 1 : 0))).toEqual(matches);
    // The fourth record has no HbA1c: no comparison on a missing value holds.
    expect(await outputs(records, criteria)).toEqual([...commitments.commit(BigInt(matches.reduce<number>((a, b) => a + b, 0)), 77n), expected(records, criteria)[2]]);
  });

  it('between is inclusive at both ends', async () => {
    const at = (day: number) => baseRecord({ birthDay: day });
    const lo = dayNumber('1982-02-16') as number;
    const hi = dayNumber('1984-11-16') as number;
    const records = [at(lo - 1), at(lo), at(lo + 300), at(hi), at(hi + 1)];
    const criteria: CohortCriteria = [{ field: 'birthDate', op: 'between', values: ['1982-02-16', '1984-11-16'] }];
    expect(records.map((r) => evaluateCriteria(r, criteria))).toEqual([false, true, true, true, false]);
    expect(await outputs(records, criteria)).toEqual(expected(records, criteria));
  });

  it('rejects an attribute word of 2^184 (a field one bit too wide) and p - 1', async () => {
    for (const bad of [1n << 184n, FIELD_MODULUS - 1n]) {
      const input = inputFor(randomRecords(3, 1), [{ field: 'sex', op: 'eq', value: 'male' }]);
      (input.attrs as bigint[])[1] = bad;
      await expect(witnessOutputs('cohort_count', input, 3)).rejects.toThrow();
    }
  });

  it('rejects a criteria hash that is not the hash of the criteria inputs', async () => {
    const input = inputFor(randomRecords(3, 1), [{ field: 'sex', op: 'eq', value: 'male' }]);
    input.criteriaHash = (input.criteriaHash as bigint) + 1n;
    await expect(witnessOutputs('cohort_count', input, 3)).rejects.toThrow();
  });

  it('rejects slot words that encode an out-of-range bound or field index', async () => {
    const compiled = compileCriteria([{ field: 'sex', op: 'eq', value: 'male' }]);
    for (const word of [1n << 183n, (compiled.scalarSlots[0] & ~15n) | 12n]) {
      const tampered = { ...compiled, scalarSlots: [word, ...compiled.scalarSlots.slice(1)] };
      const input = chunkInput(tampered, criteriaHash(hash, tampered), randomRecords(2, 1), 1n);
      await expect(witnessOutputs('cohort_count', input, 3)).rejects.toThrow();
    }
  });

  it('rejects a present flag that is not a bit', async () => {
    const input = inputFor(randomRecords(3, 1), [{ field: 'sex', op: 'eq', value: 'male' }]);
    (input.present as bigint[])[0] = 2n;
    await expect(witnessOutputs('cohort_count', input, 3)).rejects.toThrow();
  });
});
