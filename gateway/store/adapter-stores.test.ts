import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BulkImportJobStore } from './bulk-import-job-store.js';
import { openDatabase, type Db } from './database.js';
import { ExportJobStore } from './export-job-store.js';
import { CORE_SCHEMA } from './schema/core.js';
import { SubscriptionStateStore } from './subscription-state-store.js';
import { SyncCursorStore } from './sync-cursor-store.js';

describe('the EHR adapters stores over SQLite', () => {
  let dir: string;
  let db: Db;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'careledger-adapter-stores-'));
    db = openDatabase(join(dir, 'node.db'));
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('opens a data dir whose export jobs table predates owners and expiry, and reports its unowned jobs', async () => {
    // A data dir at schema version 1 whose export jobs table was created lazily, before jobs had owners.
    const path = join(dir, 'old.db');
    const old = new Database(path);
    old.exec(CORE_SCHEMA);
    old.exec(`CREATE TABLE bulk_export_jobs (id TEXT PRIMARY KEY, status TEXT NOT NULL, request TEXT NOT NULL,
      transaction_time TEXT NOT NULL, types TEXT NOT NULL, since TEXT, scope TEXT NOT NULL,
      output TEXT NOT NULL DEFAULT '[]', error TEXT, progress TEXT) WITHOUT ROWID`);
    old.prepare("INSERT INTO bulk_export_jobs (id, status, request, transaction_time, types, scope) VALUES ('old', 'completed', 'r', 't', '[]', '{}')").run();
    old.pragma('user_version = 1');
    old.close();
    db.close();
    db = openDatabase(path);
    const jobs = new ExportJobStore(db);
    expect(await jobs.unownedIds()).toEqual(['old']);
    expect(await jobs.get('old')).toBeUndefined();

    await jobs.insert({ id: 'j1', owner: 'client-a', request: 'r', transactionTime: 't1', types: ['Patient'], since: null, scope: { kind: 'system' } });
    await jobs.finish('j1', [{ type: 'Patient', file: '0-Patient.ndjson', count: 2 }], 5_000);
    expect(await jobs.get('j1')).toMatchObject({ owner: 'client-a', status: 'completed', types: ['Patient'], scope: { kind: 'system' }, expiresAt: 5_000 });
    expect(await jobs.expiredIds(4_999)).toEqual([]);
    expect(await jobs.expiredIds(5_000)).toEqual(['j1']);
    // Opening again (a restart) changes nothing.
    expect(await new ExportJobStore(db).allIds()).toEqual(['j1', 'old']);
  });

  it('keeps REST sync cursors per EHR and type', async () => {
    const cursors = new SyncCursorStore(db);
    expect(await cursors.get('ehr', 'Patient')).toBeNull();
    await cursors.saveHistory('ehr', 'Patient', '2026-01-01T00:00:00Z');
    await cursors.saveSearch('ehr', 'Patient', { since: '2026-01-02T00:00:00Z', seen: ['p1|1'] });
    expect(await cursors.get('ehr', 'Patient')).toEqual({ search: { since: '2026-01-02T00:00:00Z', seen: ['p1|1'] }, historySince: '2026-01-01T00:00:00Z' });
    expect(await cursors.get('other', 'Patient')).toBeNull();
  });

  it('keeps Subscriptions state per endpoint', async () => {
    const states = new SubscriptionStateStore(db);
    expect(await states.get('r5')).toEqual({ lastEvent: 0, status: null, lastType: null });
    await states.record('r5', 'Subscription/s1', { lastEvent: 7, status: 'active', lastType: 'heartbeat' });
    expect(await states.get('r5')).toEqual({ lastEvent: 7, status: 'active', lastType: 'heartbeat' });
  });

  it('keeps Bulk import progress per file and drops it with its job', async () => {
    const jobs = new BulkImportJobStore(db);
    const job = await jobs.create('https://ehr/$export', 'https://ehr/status/1');
    expect(await jobs.find('https://ehr/$export')).toEqual({ ...job, manifest: null });
    const manifest = { transactionTime: 't', request: 'r', requiresAccessToken: true, output: [{ type: 'Patient', url: 'https://ehr/f/1' }] };
    await jobs.setManifest(job.id, manifest);
    await jobs.saveProgress(job.id, 0, 500, false);
    await jobs.saveProgress(job.id, 0, 600, true);
    expect(await jobs.find('https://ehr/$export')).toMatchObject({ manifest });
    expect(await jobs.progress(job.id, 0)).toEqual({ linesDone: 600, complete: true });
    expect(await jobs.progress(job.id, 1)).toEqual({ linesDone: 0, complete: false });
    await jobs.remove(job.id);
    expect(await jobs.find('https://ehr/$export')).toBeUndefined();
    expect(db.prepare('SELECT COUNT(*) AS n FROM bulk_import_files').get()).toEqual({ n: 0 });
  });
});
