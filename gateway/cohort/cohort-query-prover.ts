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
 * were committed in). Two chunks are in flight at a time: the prover computes the next chunk's
 * witness on this thread while the current proof runs (see CircuitProver). `blinding` gives each
 * chunk commitment's blinding (random by default); a node derives them (AnswerBlindings) so that
 * proving again after a restart reproduces the commitments of chunks already on chain.
 */
export async function answerCohortQuery(
  provers: CohortQueryProvers,
  records: readonly FeatureRecord[],
  criteria: CohortCriteria,
  minCellSize: number,
  timing?: ProofTiming,
  blinding: (index: number) => bigint = () => provers.commitments.randomBlinding(),
): Promise<CohortAnswer> {
  const compiled = compileCriteria(criteria);
  const hash = criteriaHash(provers.hash, compiled);
  const tree = buildCohortTree(provers.hash, records.map((r) => recordLeaf(provers.hash, r)));
  const size = FEATURE_SCHEMA.tree.chunkSize;
  const chunkCount = Math.ceil(records.length / size);
  const blindings = Array.from({ length: chunkCount }, (_, index) => blinding(index));
  const prove = (index: number): Promise<Groth16Result> =>
    provers.count.prove(chunkInput(compiled, hash, records.slice(index * size, (index + 1) * size), blindings[index]!));

  const chunks: ChunkAnswer[] = [];
  let aggregate: CommitmentPoint = provers.commitments.identity;
  let blindingSum = 0n;
  let next = chunkCount > 0 ? prove(0) : undefined;
  let finished = performance.now();
  for (let index = 0; index < chunkCount; index++) {
    const current = next!;
    next = index + 1 < chunkCount ? prove(index + 1) : undefined;
    // A failed lookahead must not go unhandled while this chunk is awaited; it is thrown when its turn comes.
    next?.catch(() => undefined);
    const result = await current;
    timing?.chunkSeconds.push((performance.now() - finished) / 1000);
    finished = performance.now();
    chunks.push({ index, ...result });
    aggregate = provers.commitments.add(aggregate, [BigInt(result.publicSignals[0]), BigInt(result.publicSignals[1])]);
    blindingSum = (blindingSum + blindings[index]!) % provers.commitments.subOrder;
  }
  // The total the circuits committed to; if TS and circuit semantics ever disagreed, the
  // release proof would fail to open the aggregate instead of releasing a wrong number.
  const total = records.filter((r) => evaluateCriteria(r, criteria)).length;
  const started = performance.now();
  const release = await provers.release.prove(releaseInput(aggregate, minCellSize, total, blindingSum));
  if (timing) timing.releaseSeconds = (performance.now() - started) / 1000;
  return { criteriaHash: hash.toString(), root: tree.root.toString(), chunks, release };
}
