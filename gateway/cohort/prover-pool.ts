import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { CircuitArtifacts } from './artifacts.js';
import type { CircuitInput } from './circuit-inputs.js';
import type { Groth16Result } from './circuit-prover.js';

interface Job {
  id: number;
  input: CircuitInput;
  resolve(result: Groth16Result): void;
  reject(error: Error): void;
}

type Reply = { id: number; proof: Groth16Result['proof']; publicSignals: string[] } | { id: number; error: string };

const WORKER = new URL('./prover-pool-worker.mjs', import.meta.url);

/**
 * Proves one circuit in N worker threads, one single-threaded snarkjs prover each, so N proofs
 * run at once instead of one after the other on snarkjs's own thread pool. Measured on 2 cores
 * by gateway/cohort/bench.ts: no reliable gain there (docs/zk.md, "Figures"), since snarkjs's
 * prover already keeps both cores busy and witness generation, the single-threaded part, is
 * about a tenth of a chunk proof. Chunks are independent, so the same pattern spreads a query
 * over machines.
 */
export class ProverPool {
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Job>();
  private readonly queue: Job[] = [];
  private nextId = 0;
  private closed = false;

  private constructor(workers: Worker[]) {
    for (const worker of workers) {
      worker.on('message', (reply: Reply) => this.settle(worker, reply));
      worker.on('error', (error) => this.fail(worker, error));
      this.idle.push(worker);
    }
  }

  static async start(artifacts: CircuitArtifacts, threads: number = availableParallelism()): Promise<ProverPool> {
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`a prover pool needs at least 1 thread, got ${threads}`);
    const [wasm, zkey] = await Promise.all([readFile(artifacts.wasm), readFile(artifacts.zkey)]);
    // web-worker (pulled in by snarkjs) treats every worker thread as one of its own and loads
    // workerData.mod in it; an empty data: URL makes that a no-op.
    const workerData = { mod: 'data:,', type: 'classic', wasm, zkey };
    return new ProverPool(Array.from({ length: threads }, () => new Worker(WORKER, { workerData })));
  }

  get threads(): number {
    return this.idle.length + this.busy.size;
  }

  prove(input: CircuitInput): Promise<Groth16Result> {
    if (this.closed) return Promise.reject(new Error('prover pool is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, input, resolve, reject });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new Error('prover pool closed'));
    await Promise.all([...this.idle, ...this.busy.keys()].map((w) => w.terminate()));
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop() as Worker;
      const job = this.queue.shift() as Job;
      this.busy.set(worker, job);
      worker.postMessage({ id: job.id, input: job.input });
    }
  }

  private settle(worker: Worker, reply: Reply): void {
    const job = this.busy.get(worker);
    if (!job || job.id !== reply.id) return;
    this.busy.delete(worker);
    this.idle.push(worker);
    if ('error' in reply) job.reject(new Error(reply.error));
    else job.resolve({ proof: reply.proof, publicSignals: reply.publicSignals });
    this.dispatch();
  }

  /** A crashed worker takes its job with it; the pool carries on with the others. */
  private fail(worker: Worker, error: Error): void {
    this.busy.get(worker)?.reject(error);
    this.busy.delete(worker);
    const idle = this.idle.indexOf(worker);
    if (idle >= 0) this.idle.splice(idle, 1);
    if (this.threads === 0) for (const job of this.queue.splice(0)) job.reject(error);
  }
}
