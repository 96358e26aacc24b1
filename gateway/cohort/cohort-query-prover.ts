import { buildCohortTree } from './cohort-tree.js';
import { chunkInput, releaseInput } from './circuit-inputs.js';
import type { CircuitProver, Groth16Result } from './circuit-prover.js';
import type { CommitmentPoint, CountCommitments } from './count-commitment.js';
import { compileCriteria, criteriaHash, evaluateCriteria, type CohortCriteria } from './criteria.js';
import { FEATURE_SCHEMA } from './feature-schema.js';
import type { FeatureRecord } from './features.js';
import type { PoseidonHash } from './poseidon.js';
import { recordLeaf } from './record-encoding.js';

/** One chunk's proof: public signals [commitment.x, commitment.y, chunkRoot, criteriaHash]. */
export interface ChunkAnswer extends Groth16Result {
  index: number;
}

/**
 * A hospital's answer to a cohort query. No chunk count appears anywhere: only Pedersen
 * commitments, and the release proof's count, which is 0 when the total is below minCellSize.
 */
export interface CohortAnswer {
  criteriaHash: string;
  root: string;
  chunks: ChunkAnswer[];
  /** Public signals [releasedCount, aggregate.x, aggregate.y, minCellSize]. */
  release: Groth16Result;
}

export interface CohortQueryProvers {
  hash: PoseidonHash;
  commitments: CountCommitments;
  count: CircuitProver;
  release: CircuitProver;
}

export interface ProofTiming {
  chunkSeconds: number[];
  releaseSeconds: number;
}

/**
 * Proves a cohort query over all of a hospital's records (in leaf order, i.e. the order they
 * were committed in). Chunks are proved one after another: snarkjs already uses every core.
 */
export async function answerCohortQuery(
  provers: CohortQueryProvers,
  records: readonly FeatureRecord[],
  criteria: CohortCriteria,
  minCellSize: number,
  timing?: ProofTiming,
): Promise<CohortAnswer> {
  const compiled = compileCriteria(criteria);
  const hash = criteriaHash(provers.hash, compiled);
  const tree = buildCohortTree(provers.hash, records.map((r) => recordLeaf(provers.hash, r)));
  const size = FEATURE_SCHEMA.tree.chunkSize;
  const chunks: ChunkAnswer[] = [];
  let aggregate: CommitmentPoint = provers.commitments.identity;
  let blindingSum = 0n;
  for (let index = 0; index * size < records.length; index++) {
    const blinding = provers.commitments.randomBlinding();
    const started = performance.now();
    const result = await provers.count.prove(chunkInput(compiled, hash, records.slice(index * size, (index + 1) * size), blinding));
    timing?.chunkSeconds.push((performance.now() - started) / 1000);
    chunks.push({ index, ...result });
    aggregate = provers.commitments.add(aggregate, [BigInt(result.publicSignals[0]), BigInt(result.publicSignals[1])]);
    blindingSum = (blindingSum + blinding) % provers.commitments.subOrder;
  }
  // The total the circuits committed to; if TS and circuit semantics ever disagreed, the
  // release proof would fail to open the aggregate instead of releasing a wrong number.
  const total = records.filter((r) => evaluateCriteria(r, criteria)).length;
  const started = performance.now();
  const release = await provers.release.prove(releaseInput(aggregate, minCellSize, total, blindingSum));
  if (timing) timing.releaseSeconds = (performance.now() - started) / 1000;
  return { criteriaHash: hash.toString(), root: tree.root.toString(), chunks, release };
}
