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
 * were committed in). The count prover's parallelism + 1 chunks are in flight at a time: its
 * sidecars prove while the next chunk's witness is computed on this thread (see CircuitProver). `blinding` gives each
 * chunk commitment's blinding (random by default); a node derives them (AnswerBlindings) so that
 * proving again after a restart reproduces the commitments of chunks already on chain.
 * No records (a hospital holding no patients) means no chunks, as CohortRegistry.commitRecords
 * requires of a zero record count: the aggregate is then the identity point, which the release
 * proof opens with total 0 and blinding 0, so the answer is "below the minimum cell size" and
 * verifies like any other.
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
  const inFlight: Promise<Groth16Result>[] = [];
  const lookahead = provers.count.parallelism + 1;
  let launched = 0;
  const launch = (): void => {
    while (launched < chunkCount && inFlight.length < lookahead) {
      const proof = prove(launched++);
      // A failed proof ahead must not go unhandled while an earlier one is awaited; it is thrown when its turn comes.
      proof.catch(() => undefined);
      inFlight.push(proof);
    }
  };
  let finished = performance.now();
  for (let index = 0; index < chunkCount; index++) {
    launch();
    const result = await inFlight.shift()!;
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
