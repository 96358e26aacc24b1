import { readFile } from 'node:fs/promises';
import * as snarkjs from 'snarkjs';
import type { Groth16Proof, VerificationKey } from 'snarkjs';
import type { CircuitArtifacts } from './artifacts.js';
import type { CircuitInput } from './circuit-inputs.js';

export interface Groth16Result {
  proof: Groth16Proof;
  /** Decimal strings: circuit outputs first, then public inputs, in declaration order. */
  publicSignals: string[];
}

/**
 * Groth16 prover for one circuit. The witness generator and the zkey are read once and kept in
 * memory: a cohort query proves hundreds of chunks, and re-reading 7 MB of WASM and a 22 MB key
 * per proof is measurable.
 */
export class CircuitProver {
  private files: Promise<[Uint8Array, Uint8Array]> | undefined;

  constructor(private readonly artifacts: CircuitArtifacts) {}

  async prove(input: CircuitInput): Promise<Groth16Result> {
    this.files ??= Promise.all([readFile(this.artifacts.wasm), readFile(this.artifacts.zkey)]);
    const [wasm, zkey] = await this.files;
    return snarkjs.groth16.fullProve(input, { type: 'mem', data: wasm }, { type: 'mem', data: zkey });
  }
}

export function verifyGroth16(vkey: VerificationKey, result: Groth16Result): Promise<boolean> {
  return snarkjs.groth16.verify(vkey, result.publicSignals, result.proof);
}
