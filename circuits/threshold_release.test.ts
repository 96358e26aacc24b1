import { beforeAll, describe, expect, it } from 'vitest';
import { releaseInput } from '../gateway/cohort/circuit-inputs.js';
import { loadCountCommitments, type CountCommitments } from '../gateway/cohort/count-commitment.js';
import { witnessOutputs } from './witness.js';

let commitments: CountCommitments;
beforeAll(async () => {
  commitments = await loadCountCommitments();
});

const MIN = 11;
const BLINDING = 31337n;

async function released(total: number, min = MIN, claimed = total): Promise<bigint> {
  const aggregate = commitments.commit(BigInt(total), BLINDING);
  const [count] = await witnessOutputs('threshold_release', releaseInput(aggregate, min, claimed, BLINDING), 1);
  return count;
}

describe('threshold_release witness', () => {
  it.each([
    [MIN + 1, BigInt(MIN + 1)],
    [MIN, BigInt(MIN)],
    [MIN - 1, 0n],
    [0, 0n],
  ])('total %i releases %i', async (total, expected) => {
    expect(await released(total)).toBe(expected);
  });

  it('opens the sum of commitments added outside the circuit', async () => {
    const parts = [[3n, 5n], [4n, 6n], [9n, commitments.subOrder - 1n]] as const;
    const aggregate = parts.map(([c, b]) => commitments.commit(c, b)).reduce((a, b) => commitments.add(a, b), commitments.identity);
    const blinding = parts.reduce((s, [, b]) => (s + b) % commitments.subOrder, 0n);
    expect(await witnessOutputs('threshold_release', releaseInput(aggregate, MIN, 16, blinding), 1)).toEqual([16n]);
  });

  it('refuses to open the aggregate to another total', async () => {
    await expect(released(5, MIN, 15)).rejects.toThrow();
  });

  it('range-checks both comparator inputs (2^24 is one bit too wide)', async () => {
    await expect(released(2 ** 24)).rejects.toThrow();
    await expect(released(3, 2 ** 24)).rejects.toThrow();
  });
});
