// What a Groth16 prover returns, whichever backend made it: its own module so the native
// prover and the prover that chooses between backends can both name it.

import type { Groth16Proof } from 'snarkjs';

export interface Groth16Result {
  proof: Groth16Proof;
  /** Decimal strings: circuit outputs first, then public inputs, in declaration order. */
  publicSignals: string[];
}
