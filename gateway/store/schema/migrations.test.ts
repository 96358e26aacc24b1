import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../database.js';
import { CORE_SCHEMA } from './core.js';
import { MIGRATIONS } from './migrations.js';

const tables = (db: Database.Database): string[] =>
  (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as Array<{ name: string }>).map(
    (row) => row.name,
  );

describe('schema migrations', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'careledger-schema-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('brings a new database to the last step, and reopening changes nothing', () => {
    const path = join(dir, 'node.db');
    const db = openDatabase(path);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    const created = tables(db);
    expect(created).toEqual(expect.arrayContaining(['batches', 'data_keys', 'journal', 'node_state', 'resource_current', 'resource_versions']));
    // The search tables are in their own file (search-file.ts), attached as `search`.
    expect(created).not.toContain('search_index');
    const searchTables = db.prepare("SELECT name FROM search.sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string }>;
    expect(searchTables.map((row) => row.name)).toEqual(['index_state', 'search_date', 'search_index', 'search_quantity']);
    db.close();
    const again = openDatabase(path);
    expect(tables(again)).toEqual(created);
    again.close();
  });

  it('opens a data dir made before the schema lived here: user_version 1, area tables made lazily, rows kept', () => {
    const path = join(dir, 'node.db');
    const old = new Database(path);
    old.exec(CORE_SCHEMA);
    old.pragma('user_version = 1');
    old.exec("INSERT INTO node_state (key, value) VALUES ('anchor.baseSequence', '7')");
    // An area table as a node created it on first use, before the Bulk export security fixes.
    old.exec(`CREATE TABLE bulk_export_jobs (id TEXT PRIMARY KEY, status TEXT NOT NULL, request TEXT NOT NULL, transaction_time TEXT NOT NULL,
      types TEXT NOT NULL, since TEXT, scope TEXT NOT NULL, output TEXT NOT NULL DEFAULT '[]', error TEXT, progress TEXT) WITHOUT ROWID`);
    old.exec("INSERT INTO bulk_export_jobs (id, status, request, transaction_time, types, scope) VALUES ('j1', 'completed', '{}', 't', 'Patient', 'system')");
    old.close();

    const db = openDatabase(path);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(db.prepare("SELECT value FROM node_state WHERE key = 'anchor.baseSequence'").get()).toEqual({ value: '7' });
    expect(db.prepare('SELECT id FROM bulk_export_jobs').all()).toEqual([{ id: 'j1' }]);
    for (const step of MIGRATIONS) {
      for (const { table, column } of step.addedColumns ?? []) {
        const columns = (db.pragma(`table_info(${table})`) as Array<{ name: string }>).map((c) => c.name);
        expect(columns, `${table}.${column}`).toContain(column);
      }
    }
    db.close();
  });
});
