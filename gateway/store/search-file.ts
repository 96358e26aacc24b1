// The search index lives in its own SQLite file beside the node's database, attached to every
// connection as `search`, so its tables are named as before (search_index, search_date,
// search_quantity) in every query, and a query may join them with the node's tables.
//
// Why a file of its own: SQLite lets one connection write a database file at a time. The index
// is written by its own thread (index-writer.ts) while the main thread commits intake; in one
// file either would wait for the other, in two they write side by side. Everything in it can be
// rebuilt from the vault and the journal (resource-store.ts), so it is committed without an fsync
// of its own, and a file that is lost, or older or newer than the journal, is rebuilt at open.

import { chmodSync, closeSync, existsSync, openSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { SEARCH_FILE_SCHEMA } from './schema/search.js';

type Db = Database.Database;

/** `careledger.db` -> `careledger-search.db`; in memory, a second in-memory database. */
export function searchFilePath(dbPath: string): string {
  if (dbPath === ':memory:' || dbPath === '') return ':memory:';
  return `${dbPath.replace(/\.db$/, '')}-search.db`;
}

/** Attaches the search file (creating it owner-only) and makes sure its tables exist. */
export function attachSearchFile(db: Db, dbPath: string): void {
  const path = searchFilePath(dbPath);
  if (path !== ':memory:') {
    closeSync(openSync(path, 'a', 0o600));
    restrict(path);
  }
  db.prepare('ATTACH DATABASE ? AS search').run(path);
  db.pragma('search.journal_mode = WAL');
  db.pragma('search.synchronous = NORMAL');
  // Searches read few pages; the index writer thread has its own cache (index-writer-worker.ts).
  db.pragma('search.cache_size = -4096');
  if (path !== ':memory:') restrict(path);
  db.exec(SEARCH_FILE_SCHEMA);
}

export function readIndexState(db: Db, key: string): string | undefined {
  const row = db.prepare('SELECT value FROM search.index_state WHERE key = ?').get(key) as { value: string } | undefined;
  return row?.value;
}

/** A statement that records one of the index's own values (its version, the journal it covers). */
export function indexStateWriter(db: Db): (key: string, value: string) => void {
  const statement = db.prepare('INSERT INTO search.index_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
  return (key, value) => void statement.run(key, value);
}

function restrict(path: string): void {
  for (const file of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(file)) chmodSync(file, 0o600);
}
