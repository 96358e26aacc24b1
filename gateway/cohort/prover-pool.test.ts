import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomRecords } from '../../circuits/record-fixtures.js';
import { circuitArtifacts, loadVerificationKey } from './artifacts.js';
import { chunkInput } from './circuit-inputs.js';
import { verifyGroth16 } from './circuit-prover.js';
import { compileCriteria, criteriaHash } from './criteria.js';
import { loadPoseidon } from './poseidon.js';
import { ProverPool } from './prover-pool.js';

let pool: ProverPool;
beforeAll(async () => {
  pool = await ProverPool.start(circuitArtifacts('cohort_count'), 2);
});
afterAll(async () => {
  await pool?.close();
});

describe('ProverPool (2 worker threads, cohort_count)', () => {
  it('proves two chunks at once, each proof valid for its own chunk', async () => {
    const hash = await loadPoseidon();
    const compiled = compileCriteria([{ field: 'hba1c', op: 'gte', value: 6 }]);
    const queryHash = criteriaHash(hash, compiled);
    const records = randomRecords(24, 99);
    const inputs = [records.slice(0, 16), records.slice(16)].map((chunk, i) => chunkInput(compiled, queryHash, chunk, 1000n + BigInt(i)));
    const started = performance.now();
    const proofs = await Promise.all(inputs.map((input) => pool.prove(input)));
    console.info(`2 chunks on 2 worker threads: ${((performance.now() - started) / 1000).toFixed(2)} s (first proofs, cold)`);
    const key = await loadVerificationKey('cohort_count');
    for (const proof of proofs) {
      expect(proof.publicSignals[3]).toBe(queryHash.toString());
      expect(await verifyGroth16(key, proof)).toBe(true);
    }
    expect(proofs[0].publicSignals[2]).not.toBe(proofs[1].publicSignals[2]);
  });

  it('rejects an input the circuit refuses and keeps serving', async () => {
    await expect(pool.prove({ blinding: 1n })).rejects.toThrow();
    expect(pool.threads).toBe(2);
  });

  it('refuses work once closed', async () => {
    const closing = await ProverPool.start(circuitArtifacts('threshold_release'), 1);
    await closing.close();
    await expect(closing.prove({})).rejects.toThrow(/closed/);
  });
});
