// Full R4 validation (@medplum/core) costs about 200-400 µs a resource, more than all the rest of
// intake together, so it runs on worker threads. Calls made in the same tick are sent as one
// message per worker, which keeps the message overhead per resource small for batch Bundles.

import { badRequest, OperationOutcomeError } from '@medplum/core';
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

interface Pending {
  resource: unknown;
  resolve: (issues: OperationOutcomeIssue[]) => void;
  reject: (error: unknown) => void;
}

interface PoolWorker {
  worker: Worker;
  ready: Promise<void>;
  inFlight: Map<number, Pending[]>;
  load: number;
}

const WORKER_URL = new URL('./r4-validation-worker.mjs', import.meta.url);

export class R4ValidationPool {
  private readonly workers: PoolWorker[];
  private queue: Pending[] = [];
  private scheduled = false;
  private nextId = 1;
  private closed = false;

  /** `size` 0 validates on the calling thread. Default: one worker per core beyond the first. */
  constructor(size = Math.max(1, availableParallelism() - 1)) {
    this.workers = Array.from({ length: size }, () => this.spawn());
  }

  validate(resource: unknown): Promise<OperationOutcomeIssue[]> {
    // Loaded only here: with workers, the calling thread never needs the R4 validator (a second,
    // patched @medplum/core with the R4 definitions).
    if (this.workers.length === 0) return import('./r4-validator.mjs').then(({ validateR4 }) => validateR4(resource));
    if (this.closed) return Promise.reject(new Error('the R4 validation pool is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ resource, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.dispatch());
      }
    });
  }

  /** Resolves once every worker has loaded the R4 definitions. */
  async ready(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.ready));
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }

  private spawn(): PoolWorker {
    // A validation worker's live heap is the R4 definitions (~25 MB) plus the batch at hand;
    // bounded generations keep its resident memory near that instead of growing with traffic.
    const worker = new Worker(WORKER_URL, { resourceLimits: { maxOldGenerationSizeMb: 128, maxYoungGenerationSizeMb: 8 } });
    worker.unref();
    const entry: PoolWorker = { worker, inFlight: new Map(), load: 0, ready: Promise.resolve() };
    entry.ready = new Promise((resolve, reject) => {
      worker.once('error', reject);
      worker.on('message', (message: { ready?: true; id?: number; issues?: OperationOutcomeIssue[][] }) => {
        if (message.ready) return resolve();
        const batch = entry.inFlight.get(message.id!);
        if (!batch) return;
        entry.inFlight.delete(message.id!);
        entry.load -= batch.length;
        batch.forEach((pending, index) => pending.resolve(message.issues![index]!));
      });
    });
    worker.on('error', (error) => {
      for (const batch of entry.inFlight.values()) for (const pending of batch) pending.reject(error);
      entry.inFlight.clear();
      entry.load = 0;
      if (!this.closed) this.workers[this.workers.indexOf(entry)] = this.spawn();
    });
    return entry;
  }

  private dispatch(): void {
    this.scheduled = false;
    const pending = this.queue;
    this.queue = [];
    // Split the tick's work across workers, least loaded first.
    const share = Math.ceil(pending.length / this.workers.length);
    const byLoad = [...this.workers].sort((a, b) => a.load - b.load);
    for (let i = 0, w = 0; i < pending.length; i += share, w++) {
      const target = byLoad[w % byLoad.length]!;
      this.post(target, pending.slice(i, i + share));
    }
  }

  // postMessage clones synchronously and throws when it cannot (a resource nested thousands of
  // levels overflows the clone's stack). Thrown from the setImmediate above it would end the
  // process; instead the batch is retried one resource at a time so only what cannot be sent
  // fails, each with its own request.
  private post(target: PoolWorker, batch: Pending[]): void {
    const id = this.nextId++;
    try {
      target.worker.postMessage({ id, resources: batch.map((p) => p.resource) });
    } catch (error) {
      if (batch.length > 1) {
        for (const pending of batch) this.post(target, [pending]);
      } else {
        batch[0]!.reject(
          new OperationOutcomeError(badRequest(`The resource cannot be validated (${(error as Error).message}); check how deeply it nests`)),
        );
      }
      return;
    }
    target.inFlight.set(id, batch);
    target.load += batch.length;
  }
}
