import type { VerificationKey } from 'snarkjs';
import { rootFromChunkRoots } from './cohort-tree.js';
import { verifyGroth16 } from './circuit-prover.js';
import type { CommitmentPoint, CountCommitments } from './count-commitment.js';
import type { CohortAnswer } from './cohort-query-prover.js';
import { compileCriteria, criteriaHash, type CohortCriteria } from './criteria.js';
import type { PoseidonHash } from './poseidon.js';

export interface CohortQueryVerifiers {
  hash: PoseidonHash;
  commitments: CountCommitments;
  countKey: VerificationKey;
  releaseKey: VerificationKey;
}

export interface ExpectedCohortQuery {
  criteria: CohortCriteria;
  /** The hospital's cohort root as anchored on chain. */
  anchoredRoot: bigint;
  /** Consortium policy; the release proof must use exactly this threshold. */
  minCellSize: number;
}

export type CohortVerdict = { ok: true; releasedCount: number; belowMinimum: boolean } | { ok: false; reason: string };

/**
 * Checks a hospital's cohort answer against what the researcher asked and what the chain holds:
 *   1. every chunk proof is valid and carries the criteria hash of THIS query;
 *   2. the chunk roots, with every unproved chunk taken as empty, rebuild the anchored root,
 *      so no committed record was left out and none was added;
 *   3. the sum of the chunk commitments is the aggregate the release proof opened, under the
 *      policy threshold.
 */
export async function verifyCohortAnswer(
  verifiers: CohortQueryVerifiers,
  answer: CohortAnswer,
  expected: ExpectedCohortQuery,
): Promise<CohortVerdict> {
  const hash = criteriaHash(verifiers.hash, compileCriteria(expected.criteria)).toString();
  if (answer.criteriaHash !== hash) return { ok: false, reason: 'the answer is for different criteria' };
  const roots: bigint[] = [];
  let aggregate: CommitmentPoint = verifiers.commitments.identity;
  for (const [position, chunk] of answer.chunks.entries()) {
    if (chunk.index !== position) return { ok: false, reason: `chunk ${position} is missing or out of order` };
    const [x, y, chunkRoot, chunkCriteria] = chunk.publicSignals;
    if (chunk.publicSignals.length !== 4 || chunkCriteria !== hash) {
      return { ok: false, reason: `chunk ${position} was proved for different criteria` };
    }
    if (!(await verifyGroth16(verifiers.countKey, chunk))) return { ok: false, reason: `chunk ${position} proof is invalid` };
    roots.push(BigInt(chunkRoot));
    aggregate = verifiers.commitments.add(aggregate, [BigInt(x), BigInt(y)]);
  }
  // Chunks after the last proved one count as empty (padding): if they are not, the root differs.
  if (rootFromChunkRoots(verifiers.hash, roots) !== expected.anchoredRoot) {
    return { ok: false, reason: 'the chunk roots do not rebuild the anchored root' };
  }
  const [released, ax, ay, minCellSize] = answer.release.publicSignals;
  if (answer.release.publicSignals.length !== 4 || ax !== aggregate[0].toString() || ay !== aggregate[1].toString()) {
    return { ok: false, reason: 'the release proof does not open the sum of the chunk commitments' };
  }
  if (minCellSize !== String(expected.minCellSize)) return { ok: false, reason: 'the release used another minimum cell size' };
  if (!(await verifyGroth16(verifiers.releaseKey, answer.release))) return { ok: false, reason: 'release proof is invalid' };
  const releasedCount = Number(released);
  return { ok: true, releasedCount, belowMinimum: releasedCount === 0 };
}
