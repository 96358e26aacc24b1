import { readFile } from 'node:fs/promises';
import type { WitnessCalculator } from 'circom_runtime';
import type { VerificationKey } from 'snarkjs';
import type { CircuitArtifacts } from './artifacts.js';
import type { CircuitInput } from './circuit-inputs.js';
import type { Groth16Result } from './groth16-result.js';
import { NativeGroth16Prover } from './native-groth16.js';
import { configuredBackend, type ProverBackend } from './prover-backend.js';

export { configuredBackend, type ProverBackend } from './prover-backend.js';
export type { Groth16Result } from './groth16-result.js';

type Engine = { backend: 'native'; sidecars: Sidecar[] } | { backend: 'snarkjs'; zkey: Uint8Array };

interface Sidecar {
  prover: NativeGroth16Prover;
  pending: number;
  /** Set while a replacement for a dead sidecar starts. */
  restarting?: Promise<NativeGroth16Prover>;
}

export interface CircuitProverOptions {
  backend?: ProverBackend | 'auto';
  /**
   * Native sidecars proving at once, each single-threaded when more than one. One sidecar with
   * every core gives the lowest latency (an eligibility proof); two single-threaded ones give
   * the most proofs per second (a query's chunks: no work split across threads, ~10 % faster
   * on 2 cores). Default 1.
   */
  sidecars?: number;
}

const fallbackWarned = new Set<string>();

/**
 * Groth16 prover for one circuit: circom's witness calculator, then the native prover or snarkjs.
 * The witness WASM is compiled once (snarkjs's fullProve compiles its 7 MB again for every
 * proof) and the zkey is read once.
 *
 * Witnesses are computed one at a time on this thread, and proofs by the backend (snarkjs one at
 * a time, the native prover on each of its sidecars), but the two queues are separate: while a
 * sidecar works on one chunk, the witness of the next is computed, so a caller that keeps
 * `parallelism + 1` proofs in flight keeps every core busy.
 */
export class CircuitProver {
  private calculator: Promise<WitnessCalculator> | undefined;
  private engine: Promise<Engine> | undefined;
  private witnessTail: Promise<unknown> = Promise.resolve();
  private proofTail: Promise<unknown> = Promise.resolve();
  private readonly inFlight = new Set<Promise<unknown>>();
  private fellBack = false;

  private readonly requested: ProverBackend | 'auto';
  private readonly sidecarCount: number;

  constructor(
    private readonly artifacts: CircuitArtifacts,
    options: CircuitProverOptions | ProverBackend | 'auto' = {},
  ) {
    const settings = typeof options === 'string' ? { backend: options } : options;
    this.requested = settings.backend ?? configuredBackend();
    this.sidecarCount = settings.sidecars ?? 1;
    if (!Number.isInteger(this.sidecarCount) || this.sidecarCount < 1) throw new RangeError(`a prover needs at least 1 sidecar, got ${this.sidecarCount}`);
  }

  /** How many proofs the backend works on at once (native: its sidecars; snarkjs: 1); callers keep one more in flight. */
  get parallelism(): number {
    return this.requested === 'snarkjs' || this.fellBack ? 1 : this.sidecarCount;
  }

  /** The backend that proves, settled on first use. */
  async backend(): Promise<ProverBackend> {
    return (await this.loadEngine()).backend;
  }

  prove(input: CircuitInput): Promise<Groth16Result> {
    const engine = this.loadEngine();
    const wtns = this.witness(input);
    const proof = Promise.all([wtns, engine]).then(async ([bytes, loaded]) => {
      if (loaded.backend === 'native') {
        // Each sidecar queues its own requests; the least busy one takes the proof.
        const sidecar = loaded.sidecars.reduce((a, b) => (b.pending < a.pending ? b : a));
        sidecar.pending++;
        try {
          return await (await this.usable(sidecar)).prove(bytes);
        } finally {
          sidecar.pending--;
        }
      }
      const previous = this.proofTail;
      const run = previous.then(async () => (await import('snarkjs')).groth16.prove({ type: 'mem', data: loaded.zkey }, { type: 'mem', data: bytes }));
      this.proofTail = run.catch(() => undefined);
      return run;
    });
    this.inFlight.add(proof);
    const settled = (): void => {
      this.inFlight.delete(proof);
    };
    proof.then(settled, settled);
    return proof;
  }

  /** The witness in .wtns form. */
  witness(input: CircuitInput): Promise<Uint8Array> {
    const run = this.witnessTail.then(async () => (await this.loadCalculator()).calculateWTNSBin(input, 0));
    this.witnessTail = run.catch(() => undefined);
    return run;
  }

  /**
   * Lets the proofs already asked for finish, then stops the native sidecars; the prover starts
   * new ones if used again.
   */
  async close(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
    const engine = this.engine;
    this.engine = undefined;
    const loaded = await engine?.catch(() => undefined);
    if (loaded?.backend === 'native') await Promise.all(loaded.sidecars.map((sidecar) => sidecar.prover.close()));
  }

  /**
   * A sidecar that died (killed, out of memory) refuses every later proof; the proof that met
   * the death fails, and the next one goes to a replacement started here.
   */
  private usable(sidecar: Sidecar): Promise<NativeGroth16Prover> {
    if (sidecar.prover.alive) return Promise.resolve(sidecar.prover);
    sidecar.restarting ??= NativeGroth16Prover.start(this.artifacts.zkey, { threads: this.sidecarCount > 1 ? 1 : undefined }).then(
      (prover) => {
        sidecar.prover = prover;
        sidecar.restarting = undefined;
        return prover;
      },
      (error: unknown) => {
        sidecar.restarting = undefined;
        throw error;
      },
    );
    return sidecar.restarting;
  }

  private loadCalculator(): Promise<WitnessCalculator> {
    if (!this.calculator) {
      const loading = Promise.all([readFile(this.artifacts.wasm), import('circom_runtime')]).then(([wasm, runtime]) => runtime.WitnessCalculatorBuilder(wasm));
      this.calculator = loading;
      loading.catch(() => {
        if (this.calculator === loading) this.calculator = undefined;
      });
    }
    return this.calculator;
  }

  private loadEngine(): Promise<Engine> {
    if (!this.engine) {
      const starting = this.startEngine();
      this.engine = starting;
      starting.catch(() => {
        if (this.engine === starting) this.engine = undefined;
      });
    }
    return this.engine;
  }

  private async startEngine(): Promise<Engine> {
    if (this.requested !== 'snarkjs') {
      try {
        const threads = this.sidecarCount > 1 ? 1 : undefined;
        const started = await Promise.allSettled(
          Array.from({ length: this.sidecarCount }, () => NativeGroth16Prover.start(this.artifacts.zkey, { threads })),
        );
        const failed = started.find((result) => result.status === 'rejected');
        if (failed) {
          await Promise.all(started.map((result) => (result.status === 'fulfilled' ? result.value.close() : undefined)));
          throw (failed as PromiseRejectedResult).reason;
        }
        return {
          backend: 'native',
          sidecars: started.map((result) => ({ prover: (result as PromiseFulfilledResult<NativeGroth16Prover>).value, pending: 0 })),
        };
      } catch (error) {
        if (this.requested === 'native') throw error;
        if (!fallbackWarned.has(this.artifacts.zkey)) {
          fallbackWarned.add(this.artifacts.zkey);
          console.warn(`careledger: proving ${this.artifacts.zkey} with snarkjs (about 10x slower): ${(error as Error).message}`);
        }
      }
    }
    if (this.requested !== 'snarkjs') this.fellBack = true;
    return { backend: 'snarkjs', zkey: await readFile(this.artifacts.zkey) };
  }
}

/** snarkjs is imported on first use: a node that does no ZK work never loads it. */
export async function verifyGroth16(vkey: VerificationKey, result: Groth16Result): Promise<boolean> {
  return (await import('snarkjs')).groth16.verify(vkey, result.publicSignals, result.proof);
}
