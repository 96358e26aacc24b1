/** Poseidon over BN254's scalar field with circomlib's parameters, 1..16 inputs. */
export type PoseidonHash = (inputs: readonly bigint[]) => bigint;

/** Builds the hasher once (it compiles WASM); callers pass it to the pure functions. */
export async function loadPoseidon(): Promise<PoseidonHash> {
  // Imported here: circomlibjs is ~20 MB of heap that a node needs only once it does ZK work.
  const { buildPoseidon } = await import('circomlibjs');
  const poseidon = await buildPoseidon();
  return (inputs) => poseidon.F.toObject(poseidon([...inputs]));
}

/** Order of BN254's scalar field: every circuit signal lives below it. */
export const FIELD_MODULUS = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
