import { readFile } from 'node:fs/promises';
import { WitnessCalculatorBuilder, type WitnessCalculator } from 'circom_runtime';
import * as snarkjs from 'snarkjs';
import type { Groth16Proof, VerificationKey } from 'snarkjs';
import type { CircuitArtifacts } from './artifacts.js';
import type { CircuitInput } from './circuit-inputs.js';

export interface Groth16Result {
  proof: Groth16Proof;
  /** Decimal strings: circuit outputs first, then public inputs, in declaration order. */
  publicSignals: string[];
}

interface Loaded {
  witness: WitnessCalculator;
  zkey: Uint8Array;
}

/**
 * Groth16 prover for one circuit. The witness generator is compiled and the zkey read once and
 * kept in memory: a cohort query proves hundreds of chunks, and snarkjs's fullProve compiles the
 * 7 MB witness WASM again for every proof (about 250 ms a chunk on this machine).
 * Proofs are made one at a time: the witness calculator owns one WebAssembly memory, and
 * snarkjs already spreads each proof over every core.
 */
export class CircuitProver {
  private loaded: Promise<Loaded> | undefined;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly artifacts: CircuitArtifacts) {}

  prove(input: CircuitInput): Promise<Groth16Result> {
    const run = this.tail.then(() => this.proveNow(input));
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** The witness in .wtns form, for a prover that reads it directly. */
  async witness(input: CircuitInput): Promise<Uint8Array> {
    const { witness } = await this.load();
    return witness.calculateWTNSBin(input, 0);
  }

  private async proveNow(input: CircuitInput): Promise<Groth16Result> {
    const { zkey } = await this.load();
    const wtns = await this.witness(input);
    return snarkjs.groth16.prove({ type: 'mem', data: zkey }, { type: 'mem', data: wtns });
  }

  private load(): Promise<Loaded> {
    this.loaded ??= (async () => {
      const [wasm, zkey] = await Promise.all([readFile(this.artifacts.wasm), readFile(this.artifacts.zkey)]);
      return { witness: await WitnessCalculatorBuilder(wasm), zkey };
    })();
    this.loaded.catch(() => {
      this.loaded = undefined;
    });
    return this.loaded;
  }
}

export function verifyGroth16(vkey: VerificationKey, result: Groth16Result): Promise<boolean> {
  return snarkjs.groth16.verify(vkey, result.publicSignals, result.proof);
}
