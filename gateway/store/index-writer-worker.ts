// The index writer thread (index-writer.ts is its other side): builds the search index rows of
// the resources the main thread committed and writes them to the search file in batches.
//
// Messages, in the order the main thread committed the writes:
// - `{ n, through, items }`: each item's rows are built at once (a thread of its own, so the
//   main thread's intake does not pay for it); the batch is written when it holds
//   `flushResources` resources or `flushDelayMs` after its first one. `through` is the journal's
//   last seq when those writes committed, recorded with the batch (the crash catch-up starts after it).
// - `{ n, flush: true }`: write what is held now (a search is waiting).
// - `{ close: true }`: write what is held, close the database.
// After each write, `state[DONE]` holds the last message whose rows are in the file, and waiters
// are woken. A failed write keeps the rows for the next try and sets `state[FAILED]`.

import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import type { IndexChange } from './ports.js';
import { SearchEngine } from './search-engine.js';
import { attachSearchFile, indexStateWriter } from './search-file.js';
import { entryKey, SearchIndexer, type IndexEntry } from './search-index.js';
import { DONE, EXITED, FAILED, type WriterItem, type WriterMessage, type WriterSetup } from './index-writer-protocol.js';
import { INDEX_THROUGH_SEQ_KEY } from './deferred-index.js';

const setup = workerData as WriterSetup;
const state = new Int32Array(setup.state);
const db = new Database(setup.dbPath, { fileMustExist: true });
db.pragma('busy_timeout = 5000');
attachSearchFile(db, setup.dbPath);
// As the node's connection does for its own file (database.ts): batches rewrite the same pages.
db.pragma('wal_autocheckpoint = 4000');
// 8 MiB of page cache: a sorted batch touches each page once, and pages not cached come from the
// OS's cache. Measured at 70,000 resources: 16 MiB wrote no faster and held 20 MB more resident.
db.pragma('search.cache_size = -8192');
const indexer = new SearchIndexer(Buffer.from(setup.blindKey), undefined, { derived: true });
const engine = new SearchEngine(db, indexer);
const setThrough = indexStateWriter(db);
const write = db.transaction((changes: readonly IndexChange[], through: number) => {
  engine.apply(changes);
  setThrough(INDEX_THROUGH_SEQ_KEY, String(through));
});

/** Rows held at most before a batch is written whatever its size in resources (a Group of 10,000 members has 10,000). */
const MAX_HELD_ROWS = 50_000;
let held: IndexChange[] = [];
let heldResources = 0;
let heldRows = 0;
let through = -1;
let last = 0;
let timer: NodeJS.Timeout | undefined;

function rowsOf(item: WriterItem): IndexChange {
  let add: IndexEntry[] = [];
  const remove: IndexEntry[] = [];
  try {
    if (item.next !== null) add = indexer.entries(item.next);
    const seen = new Set<string>();
    for (const earlier of item.mayHave) {
      for (const entry of indexer.entries(earlier)) {
        const key = entryKey(entry);
        if (!seen.has(key)) {
          seen.add(key);
          remove.push(entry);
        }
      }
    }
  } catch (error) {
    // Rows that cannot be built are reported, not guessed: the resource is missing from search.
    parentPort!.postMessage({ warning: `no search index rows for ${item.type}/${item.id}: ${(error as Error).message}` });
  }
  return { type: item.type, id: item.id, remove, add };
}

function writeHeld(): void {
  if (timer) clearTimeout(timer);
  timer = undefined;
  if (held.length > 0) {
    try {
      // A deferred BEGIN, not IMMEDIATE: IMMEDIATE would take the write lock of every database
      // of this connection, the node's own too, and stall the group commit. The first statement
      // writes, so the transaction never holds a read snapshot that could go stale.
      write(held, through);
    } catch (error) {
      Atomics.store(state, FAILED, 1);
      Atomics.notify(state, DONE);
      parentPort!.postMessage({ error: (error as Error).message });
      timer = setTimeout(writeHeld, setup.flushDelayMs);
      return;
    }
    held = [];
    heldResources = 0;
    heldRows = 0;
  }
  Atomics.store(state, FAILED, 0);
  Atomics.store(state, DONE, last);
  Atomics.notify(state, DONE);
}

parentPort!.on('message', (message: WriterMessage) => {
  if ('close' in message) {
    writeHeld();
    db.close();
    parentPort!.close();
    return;
  }
  last = message.n;
  if ('flush' in message) return writeHeld();
  for (const item of message.items) {
    const change = rowsOf(item);
    held.push(change);
    heldRows += change.add.length + change.remove.length;
  }
  heldResources += message.items.length;
  through = Math.max(through, message.through);
  if (heldResources >= setup.flushResources || heldRows >= MAX_HELD_ROWS) writeHeld();
  else timer ??= setTimeout(writeHeld, setup.flushDelayMs);
});
// A thread that ends for any reason says so, so that a search waiting for it stops waiting.
process.on('exit', () => {
  Atomics.store(state, EXITED, 1);
  Atomics.notify(state, DONE);
});
parentPort!.postMessage({ ready: true });
