import type { Groth16Proof } from 'snarkjs';
import type { CohortPort } from '../ledger/ports.js';
import { verifyGroth16 } from './circuit-prover.js';
import type { ZkToolkit } from './zk-toolkit.js';

/** What `prove-eligibility` hands out: one patient, one trial, no clinical data. */
export interface EligibilityProofDocument {
  trial: string;
  /** Decimal strings, as in publicSignals: [nullifier, root, criteriaHash, scopeId]. */
  scopeId: string;
  criteriaHash: string;
  root: string;
  nullifier: string;
  /** The hospital epoch whose root the proof is against. */
  epoch: string;
  member: string;
  proof: Groth16Proof;
  publicSignals: string[];
}

export type EligibilityCheck = { ok: true; nullifier: bigint; scopeId: bigint; root: bigint } | { ok: false; reason: string; spent?: boolean };

/**
 * Everything the contract's acceptEligibility checks, done off chain from chain reads: the
 * Groth16 proof (snarkjs, committed key), the trial and its criteria hash, the root, and whether
 * the nullifier is still unspent. Spends nothing.
 */
export async function checkEligibility(cohorts: CohortPort, zk: ZkToolkit, document: Pick<EligibilityProofDocument, 'proof' | 'publicSignals'>): Promise<EligibilityCheck> {
  if (!Array.isArray(document.publicSignals) || document.publicSignals.length !== 4) return { ok: false, reason: 'not an eligibility proof (4 public signals)' };
  if (!document.publicSignals.every((s) => typeof s === 'string' && /^[0-9]{1,78}$/.test(s))) return { ok: false, reason: 'public signals must be decimal strings' };
  const [nullifier, root, criteria, scopeId] = document.publicSignals.map((s) => BigInt(s)) as [bigint, bigint, bigint, bigint];
  const valid = await verifyGroth16(zk.keys.eligibility, { proof: document.proof, publicSignals: document.publicSignals }).catch(() => false);
  if (!valid) return { ok: false, reason: 'the Groth16 proof does not verify' };
  const trial = await cohorts.trialCriteriaHash(scopeId);
  if (trial === null) return { ok: false, reason: 'no trial is registered under the proof scope' };
  if (trial !== criteria) return { ok: false, reason: 'the proof was made for other criteria than the trial registered' };
  if (!(await cohorts.isCommittedRoot(root))) return { ok: false, reason: 'the proof root is not a root any hospital committed' };
  if (await cohorts.isNullifierSpent(scopeId, nullifier)) return { ok: false, reason: 'the patient was already accepted in this trial (nullifier spent)', spent: true };
  return { ok: true, nullifier, scopeId, root };
}
