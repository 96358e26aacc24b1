import { readFile } from 'node:fs/promises';
import { WitnessCalculatorBuilder, type WitnessCalculator } from 'circom_runtime';
import * as snarkjs from 'snarkjs';
import type { Groth16Proof, VerificationKey } from 'snarkjs';
import type { CircuitArtifacts } from './artifacts.js';
import type { CircuitInput } from './circuit-inputs.js';
import { NativeGroth16Prover } from './native-groth16.js';

export interface Groth16Result {
  proof: Groth16Proof;
  /** Decimal strings: circuit outputs first, then public inputs, in declaration order. */
  publicSignals: string[];
}

/**
 * native: circuits/native-prover, about 10x faster than snarkjs on this machine (docs/zk.md).
 * snarkjs: its WebAssembly prover, the fallback where no C compiler is available.
 */
export type ProverBackend = 'native' | 'snarkjs';

/** CARELEDGER_ZK_PROVER picks the backend; `auto` (the default) is native when it builds. */
export function configuredBackend(value: string | undefined = process.env.CARELEDGER_ZK_PROVER): ProverBackend | 'auto' {
  if (value === undefined || value === '' || value === 'auto') return 'auto';
  if (value === 'native' || value === 'snarkjs') return value;
  throw new Error(`CARELEDGER_ZK_PROVER must be auto, native or snarkjs, not ${JSON.stringify(value)}`);
}

type Engine = { backend: 'native'; native: NativeGroth16Prover } | { backend: 'snarkjs'; zkey: Uint8Array };

const fallbackWarned = new Set<string>();

/**
 * Groth16 prover for one circuit: circom's witness calculator, then the native prover or snarkjs.
 * The witness WASM is compiled once (snarkjs's fullProve compiles its 7 MB again for every
 * proof) and the zkey is read once.
 *
 * Witnesses are computed one at a time on this thread and proofs are made one at a time by the
 * backend, but the two queues are separate: while the native prover works on one chunk, the
 * witness of the next is computed, so a caller that keeps two proofs in flight hides witness
 * generation almost entirely.
 */
export class CircuitProver {
  private calculator: Promise<WitnessCalculator> | undefined;
  private engine: Promise<Engine> | undefined;
  private witnessTail: Promise<unknown> = Promise.resolve();
  private proofTail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly artifacts: CircuitArtifacts,
    private readonly requested: ProverBackend | 'auto' = configuredBackend(),
  ) {}

  /** The backend that proves, settled on first use. */
  async backend(): Promise<ProverBackend> {
    return (await this.loadEngine()).backend;
  }

  prove(input: CircuitInput): Promise<Groth16Result> {
    const engine = this.loadEngine();
    const wtns = this.witness(input);
    const proof = Promise.all([wtns, this.proofTail]).then(async ([bytes]) => {
      const loaded = await engine;
      if (loaded.backend === 'native') return loaded.native.prove(bytes);
      return snarkjs.groth16.prove({ type: 'mem', data: loaded.zkey }, { type: 'mem', data: bytes });
    });
    this.proofTail = proof.catch(() => undefined);
    return proof;
  }

  /** The witness in .wtns form. */
  witness(input: CircuitInput): Promise<Uint8Array> {
    const run = this.witnessTail.then(async () => (await this.loadCalculator()).calculateWTNSBin(input, 0));
    this.witnessTail = run.catch(() => undefined);
    return run;
  }

  /** Stops the native sidecar, if one runs; the prover starts a new one if used again. */
  async close(): Promise<void> {
    const engine = this.engine;
    this.engine = undefined;
    const loaded = await engine?.catch(() => undefined);
    if (loaded?.backend === 'native') await loaded.native.close();
  }

  private loadCalculator(): Promise<WitnessCalculator> {
    this.calculator ??= readFile(this.artifacts.wasm).then((wasm) => WitnessCalculatorBuilder(wasm));
    this.calculator.catch(() => {
      this.calculator = undefined;
    });
    return this.calculator;
  }

  private loadEngine(): Promise<Engine> {
    this.engine ??= this.startEngine();
    this.engine.catch(() => {
      this.engine = undefined;
    });
    return this.engine;
  }

  private async startEngine(): Promise<Engine> {
    if (this.requested !== 'snarkjs') {
      try {
        return { backend: 'native', native: await NativeGroth16Prover.start(this.artifacts.zkey) };
      } catch (error) {
        if (this.requested === 'native') throw error;
        if (!fallbackWarned.has(this.artifacts.zkey)) {
          fallbackWarned.add(this.artifacts.zkey);
          console.warn(`careledger: proving ${this.artifacts.zkey} with snarkjs (about 10x slower): ${(error as Error).message}`);
        }
      }
    }
    return { backend: 'snarkjs', zkey: await readFile(this.artifacts.zkey) };
  }
}

export function verifyGroth16(vkey: VerificationKey, result: Groth16Result): Promise<boolean> {
  return snarkjs.groth16.verify(vkey, result.publicSignals, result.proof);
}
