import type { CohortAnswerRecord, CohortPort, CohortQueryRecord, Hex } from '../ledger/ports.js';
import { rootFromChunkRoots } from './cohort-tree.js';
import type { CohortAnswer } from './cohort-query-prover.js';
import { verifyCohortAnswer } from './cohort-query-verifier.js';
import { validateCriteria, type CohortCriteria } from './criteria.js';
import { fromProofCalldata } from './proof-calldata.js';
import type { ZkToolkit } from './zk-toolkit.js';

export interface AnswerAudit {
  member: Hex;
  epoch: string;
  releasedCount: number;
  belowMinimum: boolean;
  txHash: Hex;
  /** The AnswerPosted event exists only for answers whose proofs the contract verified. */
  verifiedOnChain: true;
  /** Re-checked here from the chain alone: proofs from the answer's calldata, roots from RecordsCommitted. */
  verifiedOffChain: boolean;
  /** Why the offline check failed. */
  reason?: string;
}

/**
 * Re-verifies an answer without trusting the hospital or the contract: the proofs are read back
 * from the answer's transactions (one postAnswer, or the chunk batches and finishAnswer of a large
 * answer), the committed root and chunk roots from the hospital's
 * RecordsCommitted event, and the criteria from the query's own event. This adds what the
 * contract does not do (rebuilding the Poseidon root from the chunk roots) and re-runs every
 * Groth16 verification with snarkjs against the committed verification keys.
 */
export async function auditAnswer(cohorts: CohortPort, zk: ZkToolkit, query: CohortQueryRecord, answer: CohortAnswerRecord): Promise<AnswerAudit> {
  const base = {
    member: answer.member,
    epoch: answer.epoch.toString(),
    releasedCount: answer.releasedCount,
    belowMinimum: answer.belowMinimum,
    txHash: answer.txHash,
    verifiedOnChain: true as const,
  };
  const fail = (reason: string): AnswerAudit => ({ ...base, verifiedOffChain: false, reason });
  let criteria: CohortCriteria;
  try {
    criteria = validateCriteria(JSON.parse(query.criteria));
  } catch {
    return fail('the query posted a criteria document that does not parse');
  }
  const commitment = await cohorts.getCommitment(answer.member, answer.epoch);
  if (!commitment) return fail(`no RecordsCommitted event for epoch ${answer.epoch}`);
  if (rootFromChunkRoots(zk.hash, commitment.chunkRoots) !== commitment.root) {
    return fail('the committed chunk roots do not rebuild the committed root');
  }
  // One hospital's malformed transactions must not stop the audit of the others' answers.
  let proofs: Awaited<ReturnType<CohortPort['answerProofs']>>;
  try {
    proofs = await cohorts.answerProofs(answer.txHash);
  } catch (error) {
    return fail(`the answer's proofs cannot be read from the chain: ${(error as Error).message}`);
  }
  if (proofs.queryId !== query.queryId || proofs.epoch !== answer.epoch) return fail('the transaction answers another query or epoch');
  const cohortAnswer: CohortAnswer = {
    criteriaHash: query.criteriaHash.toString(),
    root: commitment.root.toString(),
    chunks: proofs.chunks.map((chunk, index) => ({ index, ...fromProofCalldata(chunk) })),
    release: fromProofCalldata(proofs.release),
  };
  const verdict = await verifyCohortAnswer(
    { hash: zk.hash, commitments: zk.commitments, countKey: zk.keys.count, releaseKey: zk.keys.release },
    cohortAnswer,
    { criteria, anchoredRoot: commitment.root, minCellSize: query.minCellSize },
  );
  if (!verdict.ok) return fail(verdict.reason);
  if (verdict.releasedCount !== answer.releasedCount) return fail('the event reports another count than the proofs release');
  return { ...base, verifiedOffChain: true };
}

export interface QueryResults {
  query: CohortQueryRecord;
  answers: AnswerAudit[];
}

export async function auditQuery(cohorts: CohortPort, zk: ZkToolkit, queryId: bigint): Promise<QueryResults | null> {
  const query = await cohorts.getQuery(queryId);
  if (!query) return null;
  const answers: AnswerAudit[] = [];
  for (const answer of await cohorts.answersTo(queryId)) answers.push(await auditAnswer(cohorts, zk, query, answer));
  return { query, answers };
}
