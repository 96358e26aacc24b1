// The search index written by a thread of its own (index-writer-worker.ts), into its own file
// (search-file.ts), so the main thread's intake does not pay for building and inserting index
// rows: on a 2-core machine they ran on the same core as validation, conversion and the group
// commit, and were a fifth of it (docs/search.md has the numbers).
//
// What stays exact, as with the index written on the main thread (deferred-index.ts):
// - A write is acknowledged when its version and journal row are durable (the group commit). The
//   writes of a group commit are handed to the thread once it has committed, in commit order,
//   with the journal's last seq.
// - Every read of the index flushes first, and a flush waits, blocking, until the thread has
//   written everything handed to it (a batch of 4,000 resources takes ~100 ms). A search never
//   misses an acknowledged write.
// - A conditional create inside a group commit also needs the writes of that same commit: those
//   are built on the main thread and written through its own connection inside the transaction
//   (the thread is idle then: it has written all it was handed, and nothing is handed to it before
//   the commit). Handing them over again after the commit changes nothing (the rows are the same).
// - When units of a group commit rolled back, each write handed over is checked against the
//   version that committed, and rebuilt from it when it differs.
// - A crash loses rows the thread had not written, never data: the thread records the journal
//   seq each batch covers, and the store indexes what the journal holds after it at the next open
//   (resource-store.ts). Should the thread die, the same catch-up runs before the next search.

import { Worker } from 'node:worker_threads';
import type { Db } from './database.js';
import { DONE, EXITED, FAILED, STATE_SLOTS, type WriterItem, type WriterMessage, type WriterSetup } from './index-writer-protocol.js';
import { INDEX_FLUSH_DELAY_MS, INDEX_FLUSH_RESOURCES } from './deferred-index.js';
import { indexWriterEntry } from './index-writer-bundle.js';
import type { IndexChange } from './ports.js';
import type { IndexEntry, SearchIndexer } from './search-index.js';
import type { FhirResource } from './service.js';

/** Longest a search waits for the thread before it fails (it should take ~100 ms at most). */
const FLUSH_TIMEOUT_MS = 60_000;

/** How a group commit ended: every unit committed, some rolled back to their savepoints, or none committed. */
export type TransactionOutcome = 'committed' | 'partial' | 'rolled-back';

interface OpenItem extends WriterItem {
  versionId: number | null;
}

export interface IndexWriterOptions {
  db: Db;
  indexer: SearchIndexer;
  /** Writes changes through the main thread's connection (SearchEngine.apply). */
  apply: (changes: readonly IndexChange[]) => void;
  /** The committed current version of a resource (null: deleted or unreadable). */
  current: (type: string, id: string) => { versionId: number | null; resource: FhirResource | null };
  /** The journal's last seq. */
  journalEnd: () => number;
  /** Indexes the journal after the last batch the thread recorded (after the thread died). */
  catchUp: () => void;
  /** Where warnings and errors of the thread go. */
  log?: (line: string) => void;
  flushResources?: number;
  flushDelayMs?: number;
}

export class IndexWriter {
  private worker!: Worker;
  private state!: Int32Array;
  private posted = 0;
  private exited = false;
  private closing = false;
  /** Writes of the group commit in progress, by `Type/id`. */
  private readonly open = new Map<string, OpenItem>();

  constructor(private readonly options: IndexWriterOptions) {
    this.spawn();
  }

  /** A write inside the group commit: the rows of `previous` (if any) go, those of `next` come. */
  replace(type: string, id: string, previous: FhirResource | undefined, next: FhirResource | undefined, versionId: number | null): void {
    const { indexer } = this.options;
    const key = `${type}/${id}`;
    const earlier = this.open.get(key);
    const part = next ? indexer.indexedPart(next) : null;
    if (earlier) {
      // Written twice in one commit: the tables may hold the rows of either version before it.
      if (previous) earlier.mayHave.push(indexer.indexedPart(previous));
      earlier.next = part;
      earlier.versionId = versionId;
    } else {
      this.open.set(key, { type, id, next: part, mayHave: previous ? [indexer.indexedPart(previous)] : [], versionId });
    }
  }

  /** The group commit ended: what committed goes to the thread. */
  transactionEnded(outcome: TransactionOutcome): void {
    if (outcome === 'rolled-back' || this.open.size === 0) {
      this.open.clear();
      return;
    }
    if (outcome === 'partial') {
      for (const item of this.open.values()) {
        const current = this.options.current(item.type, item.id);
        if (current.versionId === item.versionId) continue;
        // This write rolled back; the rows built for it inside the transaction may have stayed
        // (written by a later unit that committed), so they go too.
        if (item.next !== null) item.mayHave.push(item.next);
        item.next = current.resource ? this.options.indexer.indexedPart(current.resource) : null;
        item.versionId = current.versionId;
      }
    }
    const items: WriterItem[] = [];
    for (const { type, id, next, mayHave } of this.open.values()) items.push({ type, id, next, mayHave });
    this.open.clear();
    this.post({ n: ++this.posted, through: this.options.journalEnd(), items });
  }

  /** Brings the tables up to date with every write so far (committed, or in the open transaction). */
  flush(): void {
    if (this.closing) return;
    if (this.exited || Atomics.load(this.state, EXITED) !== 0) this.recover();
    try {
      this.waitForThread();
    } catch (error) {
      // The thread died while this search waited: what it had not written is indexed here.
      if (!this.exited) throw error;
      this.recover();
    }
    if (!this.options.db.inTransaction || this.open.size === 0) return;
    // A conditional create inside the group commit: this commit's writes, through this connection.
    const changes: IndexChange[] = [];
    const { indexer } = this.options;
    for (const item of this.open.values()) {
      const remove: IndexEntry[] = item.mayHave.flatMap((earlier) => indexer.entries(earlier));
      const add = item.next === null ? [] : indexer.entries(item.next);
      changes.push({ type: item.type, id: item.id, remove, add });
    }
    this.options.db.transaction(() => this.options.apply(changes))();
  }

  /** Writes what is pending and ends the thread (before the database closes). */
  close(): void {
    if (this.closing) return;
    this.waitForThread();
    this.closing = true;
    this.worker.postMessage({ close: true } satisfies WriterMessage);
    void this.worker.terminate();
  }

  /** Ends the thread without writing what it holds (as a crash would). */
  abandon(): void {
    this.closing = true;
    void this.worker.terminate();
  }

  private post(message: WriterMessage): void {
    if (this.exited) return; // the catch-up before the next search covers it
    this.worker.postMessage(message);
  }

  /** Blocks until the thread has written every message handed to it. */
  private waitForThread(): void {
    if (Atomics.load(this.state, EXITED) !== 0) this.exited = true;
    if (this.exited || Atomics.load(this.state, DONE) >= this.posted) return;
    const n = ++this.posted;
    this.worker.postMessage({ n, flush: true } satisfies WriterMessage);
    const deadline = Date.now() + FLUSH_TIMEOUT_MS;
    for (;;) {
      const done = Atomics.load(this.state, DONE);
      if (done >= n) return;
      if (Atomics.load(this.state, EXITED) !== 0) {
        this.exited = true;
        throw new Error('The search index writer stopped; the next search indexes what it had not written');
      }
      if (Atomics.load(this.state, FAILED) !== 0) throw new Error('The search index could not be written (see the log); it will be tried again');
      if (Date.now() > deadline) throw new Error(`The search index writer did not answer in ${FLUSH_TIMEOUT_MS / 1000} s`);
      Atomics.wait(this.state, DONE, done, 100);
    }
  }

  /** The thread died (a bug, or out of memory): index what it had not written, start another. */
  private recover(): void {
    this.options.catchUp();
    this.spawn();
  }

  private spawn(): void {
    const options = this.options;
    const setup: WriterSetup = {
      dbPath: options.db.name,
      blindKey: new Uint8Array(options.indexer.blindKey),
      state: new SharedArrayBuffer(STATE_SLOTS * Int32Array.BYTES_PER_ELEMENT),
      flushResources: options.flushResources ?? INDEX_FLUSH_RESOURCES,
      flushDelayMs: options.flushDelayMs ?? INDEX_FLUSH_DELAY_MS,
    };
    this.state = new Int32Array(setup.state);
    this.posted = 0;
    this.exited = false;
    // A batch holds at most 4,000 resources or 50,000 rows (index-writer-worker.ts): a few MB. The
    // old generation may grow for pathological resources; the young one is kept small, because
    // it is resident whether used or not.
    const worker = new Worker(indexWriterEntry().url, {
      workerData: setup,
      resourceLimits: { maxOldGenerationSizeMb: 128, maxYoungGenerationSizeMb: 4 },
    });
    worker.unref();
    const log = options.log ?? ((line: string) => console.error(line));
    worker.on('message', (message: { warning?: string; error?: string }) => {
      if (message.warning) log(`search index: ${message.warning}`);
      if (message.error) log(`search index: a batch could not be written: ${message.error}`);
    });
    worker.on('error', (error) => log(`search index: the writer thread failed: ${error.message}`));
    worker.on('exit', () => {
      if (this.worker === worker) this.exited = true;
    });
    this.worker = worker;
  }
}
