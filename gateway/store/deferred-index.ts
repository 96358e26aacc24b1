// The search index written behind the group commit, in large sorted batches.
//
// Why: a resource has 3 to 20 index rows, most keyed by a hash, so written inside each group
// commit they land on random B-tree pages and every commit writes hundreds of pages to the WAL
// (and checkpoints copy them again). Measured through the store on 20,000 resources: the index
// took intake from 80-90 to 180-210 µs per resource written inline, and to 110-135 µs written
// here, in batches of 1,000-4,000 resources sorted by key.
//
// What stays exact:
// - A write is acknowledged when its version and journal row are durable (the group commit); its
//   index rows follow within INDEX_FLUSH_DELAY_MS or INDEX_FLUSH_RESOURCES resources.
// - Every read of the index flushes first (the store's search, conditional create, _include and
//   _revinclude, and the readers outside the store through flushSearchIndex), so a search never
//   misses an acknowledged write, as before.
// - A flush inside an open transaction (a conditional create inside a group commit) applies the
//   rows but keeps them pending: whether that transaction commits or rolls back, applying a
//   change again is harmless (SearchEngine.apply), and `mayHave` keeps every state the rows may
//   be in, so the next flush removes whichever is there.
// - A rolled-back write leaves behind an entry computed for a version that never committed: after
//   a rollback each entry is checked against the current version and recomputed when it differs.
// - A crash loses pending rows, never acknowledged data: each flush records the journal position
//   it covers in node_state, and the store reindexes what the journal holds after it when it
//   opens (resource-store.ts, catchUpIndex).

import type { Db } from './database.js';
import type { IndexChange } from './ports.js';
import { entryKey, type IndexEntry } from './search-index.js';
import { indexStateWriter } from './search-file.js';

/** Resources pending before a flush is scheduled at once. */
export const INDEX_FLUSH_RESOURCES = 4_000;
/** Longest an acknowledged write waits for its index rows when intake is slow. */
export const INDEX_FLUSH_DELAY_MS = 250;
/** search.index_state key: every journal row up to this seq has its index rows. */
export const INDEX_THROUGH_SEQ_KEY = 'search_index_through_seq';

interface PendingRows {
  type: string;
  id: string;
  /** Rows the resource may have in the tables now (several states after an in-transaction flush). */
  mayHave: IndexEntry[];
  /** Rows it must have: those of `versionId` (null: deleted, no rows). */
  next: readonly IndexEntry[];
  versionId: number | null;
  /** Rollbacks seen when `next` was computed; a later rollback may have undone that version. */
  epoch: number;
}

export interface DeferredIndexOptions {
  db: Db;
  /** Applies changes to the tables (SearchEngine.apply). */
  apply: (changes: readonly IndexChange[]) => void;
  /** The current version of a resource and its rows, read from the store (after a rollback). */
  current: (type: string, id: string) => { versionId: number | null; entries: readonly IndexEntry[] };
  flushResources?: number;
  flushDelayMs?: number;
}

const flushers = new WeakMap<Db, () => void>();

/**
 * For code outside the resource store that reads the search tables with its own SQL (the cohort
 * record listing) or deletes from them (erasure): brings the tables up to date first.
 */
export function flushSearchIndex(db: Db): void {
  flushers.get(db)?.();
}

/** What flushSearchIndex runs for this database (the index writer thread's flush: index-writer.ts). */
export function registerIndexFlush(db: Db, flush: () => void): void {
  flushers.set(db, flush);
}

export function unregisterIndexFlush(db: Db): void {
  flushers.delete(db);
}

/** The journal's last seq (0 when empty), by a statement prepared once: read at every index batch or group commit. */
export function journalEndReader(db: Db): () => number {
  const statement = db.prepare('SELECT COALESCE(MAX(seq), 0) AS seq FROM journal');
  return () => (statement.get() as { seq: number }).seq;
}

export class DeferredIndex {
  private readonly pending = new Map<string, PendingRows>();
  private epoch = 0;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private readonly setThrough;
  private readonly journalEnd: () => number;
  private readonly flushResources: number;
  private readonly flushDelayMs: number;

  constructor(private readonly options: DeferredIndexOptions) {
    const { db } = options;
    this.flushResources = options.flushResources ?? INDEX_FLUSH_RESOURCES;
    this.flushDelayMs = options.flushDelayMs ?? INDEX_FLUSH_DELAY_MS;
    this.setThrough = indexStateWriter(db);
    this.journalEnd = journalEndReader(db);
    registerIndexFlush(db, () => this.flush());
  }

  /** Records a resource's new rows; `previous` are the rows of the version it replaces. */
  replace(type: string, id: string, previous: readonly IndexEntry[], next: readonly IndexEntry[], versionId: number | null): void {
    const key = `${type}/${id}`;
    const waiting = this.pending.get(key);
    if (waiting) {
      // The tables still hold what `waiting.mayHave` says (or, after an in-transaction flush, the
      // rows of the version this one replaces): both go.
      waiting.mayHave = union(waiting.mayHave, previous);
      waiting.next = next;
      waiting.versionId = versionId;
      waiting.epoch = this.epoch;
    } else {
      this.pending.set(key, { type, id, mayHave: [...previous], next, versionId, epoch: this.epoch });
    }
    this.schedule();
  }

  /** A transaction holding writes was rolled back (the write queue says so). */
  rolledBack(): void {
    this.epoch++;
  }

  /** Brings the tables up to date with every write made so far (committed, or in the open transaction). */
  flush(): void {
    // A closed database (a crash, in effect) keeps what is pending for the next open to replay.
    if (this.pending.size === 0 || !this.options.db.open) return;
    const { db } = this.options;
    const changes: IndexChange[] = [];
    for (const rows of this.pending.values()) {
      if (rows.epoch !== this.epoch) {
        const current = this.options.current(rows.type, rows.id);
        rows.next = current.entries;
        rows.versionId = current.versionId;
        rows.epoch = this.epoch;
      }
      changes.push({ type: rows.type, id: rows.id, remove: rows.mayHave, add: rows.next });
    }
    if (db.inTransaction) {
      // Part of the caller's transaction (a nested transaction is a savepoint): it may yet roll back.
      db.transaction(() => this.options.apply(changes))();
      for (const rows of this.pending.values()) rows.mayHave = union(rows.mayHave, rows.next);
      return;
    }
    this.cancelSchedule();
    // The rows can be rebuilt from the journal, so this commit needs no fsync of its own: the next
    // group commit's WAL fsync covers it, and a crash before that replays from the recorded seq.
    db.pragma('synchronous = NORMAL');
    try {
      db.transaction(() => {
        this.options.apply(changes);
        this.setThrough(INDEX_THROUGH_SEQ_KEY, String(this.journalEnd()));
      })();
    } finally {
      db.pragma('synchronous = FULL');
    }
    this.pending.clear();
  }

  /** Flushes what is pending and stops the timers (before the database closes). */
  close(): void {
    this.flush();
    this.cancelSchedule();
    unregisterIndexFlush(this.options.db);
  }

  private schedule(): void {
    if (this.pending.size >= this.flushResources) {
      this.immediate ??= setImmediate(() => {
        this.immediate = undefined;
        this.scheduledFlush();
      });
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.scheduledFlush();
      }, this.flushDelayMs);
      this.timer.unref();
    }
  }

  /**
   * A flush nobody waits for. Should it fail (a full disk, a busy database), the rows stay pending
   * and it is tried again after the delay: the next search meets the same error and reports it.
   */
  private scheduledFlush(): void {
    if (!this.options.db.open) return;
    try {
      this.flush();
    } catch {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.scheduledFlush();
      }, this.flushDelayMs);
      this.timer.unref();
    }
  }

  private cancelSchedule(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }
}

function union(a: readonly IndexEntry[], b: readonly IndexEntry[]): IndexEntry[] {
  if (a.length === 0) return [...b];
  const seen = new Set(a.map(entryKey));
  return [...a, ...b.filter((entry) => !seen.has(entryKey(entry)))];
}
