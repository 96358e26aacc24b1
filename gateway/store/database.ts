// The node's one SQLite database. WAL with synchronous=FULL: a commit is on disk before any
// caller hears "201", which is what lets us promise that acknowledged data survives kill -9 and
// power cuts. The intake write queue commits with NORMAL and fsyncs the WAL itself, off the event
// loop, before it settles (write-queue.ts, wal-sync.ts); every other writer commits with FULL.
// The files are owner-only whatever the umask: the database is created 0600 before SQLite opens
// it (SQLite gives its -wal and -shm files the database's mode), a directory it creates is 0700,
// and an existing database's files are set back to 0600 at every open. The schema and its
// migrations are in schema/migrations.ts. The search index has a file of its own (search-file.ts).

import Database from 'better-sqlite3';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { migrate } from './schema/migrations.js';
import { attachSearchFile } from './search-file.js';

export type Db = Database.Database;

export function openDatabase(path: string): Db {
  if (path !== ':memory:') {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    closeSync(openSync(path, 'a', 0o600));
    restrictFiles(path);
  }
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  if (path !== ':memory:') restrictFiles(path);
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  // 16 MiB of page cache instead of SQLite's 2 MiB: the journal and version B-trees of a busy node
  // stay in memory. (It was 32 MiB while the search index shared this file; the index now has its
  // own file, caches and thread, search-file.ts, and 16 MiB measured the same intake with 23 MB
  // less resident memory at 70,000 resources.)
  db.pragma('cache_size = -16384');
  // Checkpoint when the WAL passes 4,000 pages (16 MiB with 4 KiB pages) rather than SQLite's
  // 1,000. A checkpoint runs inside the commit that crosses the mark, copies each page once however
  // often it was written since, and waits for two fsyncs; the search index rewrites the same B-tree
  // pages commit after commit, so a longer WAL copies far fewer pages per resource. Measured through
  // the store (20,000 resources, three alternating rounds): 198-239 µs per resource at 1,000 pages,
  // 167-185 at 4,000, 175-194 at 10,000.
  db.pragma('wal_autocheckpoint = 4000');
  migrate(db);
  // After the migrations: the step that moved the search tables out drops them from `main`.
  attachSearchFile(db, path);
  return db;
}

function restrictFiles(path: string): void {
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    if (existsSync(file)) chmodSync(file, 0o600);
  }
}

export function readState(db: Db, key: string): string | undefined {
  const row = db.prepare('SELECT value FROM node_state WHERE key = ?').get(key) as { value: string } | undefined;
  return row?.value;
}

export function writeState(db: Db, key: string, value: string): void {
  db.prepare('INSERT INTO node_state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(
    key,
    value,
  );
}
