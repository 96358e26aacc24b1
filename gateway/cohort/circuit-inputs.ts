import type { InclusionPath } from './cohort-tree.js';
import type { CommitmentPoint } from './count-commitment.js';
import type { CompiledCriteria } from './criteria.js';
import { FEATURE_SCHEMA } from './feature-schema.js';
import type { FeatureRecord } from './features.js';
import { diagnosisSlots, packAttributes } from './record-encoding.js';

/** Witness inputs, named exactly as the circuits' signals. */
export type CircuitInput = Record<string, bigint | bigint[] | bigint[][] | number[]>;

const CHUNK_SIZE = FEATURE_SCHEMA.tree.chunkSize;

function criteriaSignals(compiled: CompiledCriteria, hash: bigint): CircuitInput {
  return {
    criteriaHash: hash,
    schemaId: compiled.schemaId,
    scalarSlots: compiled.scalarSlots,
    dxNegate: compiled.dxNegate,
    dxCodes: compiled.dxCodes,
  };
}

/**
 * cohort_count inputs for one chunk. `records` holds the chunk's records in leaf order, at most
 * 16; the rest are padding slots (present = 0, all zero), matching the 0 leaves of the tree.
 */
export function chunkInput(
  compiled: CompiledCriteria,
  hash: bigint,
  records: readonly FeatureRecord[],
  blinding: bigint,
): CircuitInput {
  if (records.length === 0 || records.length > CHUNK_SIZE) throw new RangeError(`a chunk holds 1 to ${CHUNK_SIZE} records`);
  const pad = CHUNK_SIZE - records.length;
  const zeros = (n: number): bigint[] => Array<bigint>(n).fill(0n);
  return {
    ...criteriaSignals(compiled, hash),
    present: [...records.map(() => 1n), ...zeros(pad)],
    attrs: [...records.map(packAttributes), ...zeros(pad)],
    salt: [...records.map((r) => r.salt), ...zeros(pad)],
    dx: [...records.map(diagnosisSlots), ...Array.from({ length: pad }, () => zeros(FEATURE_SCHEMA.maxDiagnoses))],
    blinding,
  };
}

export interface EligibilityWitness {
  record: FeatureRecord;
  patientSecret: bigint;
  path: InclusionPath;
  root: bigint;
  scopeId: bigint;
}

export function eligibilityInput(compiled: CompiledCriteria, hash: bigint, witness: EligibilityWitness): CircuitInput {
  return {
    root: witness.root,
    scopeId: witness.scopeId,
    patientSecret: witness.patientSecret,
    attrs: packAttributes(witness.record),
    dx: diagnosisSlots(witness.record),
    pathIndex: witness.path.index,
    pathChildren: witness.path.children,
    ...criteriaSignals(compiled, hash),
  };
}

export function releaseInput(aggregate: CommitmentPoint, minCellSize: number, total: number, blinding: bigint): CircuitInput {
  return { aggregate: [...aggregate], minCellSize: BigInt(minCellSize), total: BigInt(total), blinding };
}
