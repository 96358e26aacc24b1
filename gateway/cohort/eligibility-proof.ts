import type { VerificationKey } from 'snarkjs';
import { eligibilityInput, type EligibilityWitness } from './circuit-inputs.js';
import { verifyGroth16, type CircuitProver, type Groth16Result } from './circuit-prover.js';
import { compileCriteria, criteriaHash, type CohortCriteria } from './criteria.js';
import type { NullifierSet } from './nullifier-set.js';
import type { PoseidonHash } from './poseidon.js';

/** The patient's identity commitment, which the hospital stores as the record's salt. */
export function identityCommitment(hash: PoseidonHash, patientSecret: bigint): bigint {
  return hash([patientSecret]);
}

/** Public signals: [nullifier, root, criteriaHash, scopeId]. */
export async function proveEligibility(
  hash: PoseidonHash,
  prover: CircuitProver,
  witness: EligibilityWitness,
  criteria: CohortCriteria,
): Promise<Groth16Result> {
  const compiled = compileCriteria(criteria);
  return prover.prove(eligibilityInput(compiled, criteriaHash(hash, compiled), witness));
}

export interface ExpectedEligibility {
  criteria: CohortCriteria;
  root: bigint;
  scopeId: bigint;
}

export type EligibilityVerdict = { ok: true; nullifier: bigint } | { ok: false; reason: string };

/** Verifies an eligibility proof and spends its nullifier; a second proof for the scope is refused. */
export async function acceptEligibility(
  hash: PoseidonHash,
  vkey: VerificationKey,
  nullifiers: NullifierSet,
  result: Groth16Result,
  expected: ExpectedEligibility,
): Promise<EligibilityVerdict> {
  const [nullifier, root, proofCriteria, scopeId] = result.publicSignals.map(BigInt);
  if (result.publicSignals.length !== 4) return { ok: false, reason: 'not an eligibility proof' };
  if (root !== expected.root) return { ok: false, reason: 'proved against another root' };
  if (scopeId !== expected.scopeId) return { ok: false, reason: 'proved for another scope' };
  if (proofCriteria !== criteriaHash(hash, compileCriteria(expected.criteria))) {
    return { ok: false, reason: 'proved for other criteria' };
  }
  if (nullifiers.has(scopeId, nullifier)) return { ok: false, reason: 'nullifier already used in this scope' };
  if (!(await verifyGroth16(vkey, result))) return { ok: false, reason: 'invalid proof' };
  nullifiers.spend(scopeId, nullifier);
  return { ok: true, nullifier };
}
