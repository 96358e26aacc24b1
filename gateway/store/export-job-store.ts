// Bulk export job rows in SQLite (table bulk_export_jobs, schema/adapters.ts), behind the port
// the export server declares (fhir-adapters/bulk/export-job-table.ts).

import type { ExportJobRow, ExportJobTable } from '../../fhir-adapters/bulk/export-job-table.js';
import type { Db } from './database.js';
import { Vault } from './vault.js';

interface Row {
  id: string;
  owner: string | null;
  status: ExportJobRow['status'];
  request: string;
  transaction_time: string;
  types: string;
  since: string | null;
  scope: string;
  output: string;
  error: string | null;
  progress: string | null;
  expires_at: number | null;
}

/** What the export server keeps in the node database: its job rows, and the vault its files are sealed with. */
export function openExportStorage(db: Db, masterKey: Buffer): { jobs: ExportJobTable; vault: Vault } {
  return { jobs: new ExportJobStore(db), vault: new Vault(db, masterKey) };
}

export class ExportJobStore implements ExportJobTable {
  private readonly statements;

  constructor(db: Db) {
    this.statements = {
      insert: db.prepare(`INSERT INTO bulk_export_jobs (id, owner, status, request, transaction_time, types, since, scope)
        VALUES (?, ?, 'in-progress', ?, ?, ?, ?, ?)`),
      get: db.prepare('SELECT * FROM bulk_export_jobs WHERE id = ?'),
      unfinished: db.prepare("SELECT id FROM bulk_export_jobs WHERE status = 'in-progress'"),
      restart: db.prepare('UPDATE bulk_export_jobs SET transaction_time = ?, progress = NULL WHERE id = ?'),
      progress: db.prepare('UPDATE bulk_export_jobs SET progress = ? WHERE id = ?'),
      finish: db.prepare("UPDATE bulk_export_jobs SET status = 'completed', output = ?, progress = NULL, expires_at = ? WHERE id = ?"),
      fail: db.prepare("UPDATE bulk_export_jobs SET status = 'failed', error = ?, expires_at = ? WHERE id = ?"),
      remove: db.prepare('DELETE FROM bulk_export_jobs WHERE id = ?'),
      expired: db.prepare('SELECT id FROM bulk_export_jobs WHERE expires_at <= ?'),
      unowned: db.prepare('SELECT id FROM bulk_export_jobs WHERE owner IS NULL'),
      ids: db.prepare('SELECT id FROM bulk_export_jobs'),
    };
  }

  async insert(job: Pick<ExportJobRow, 'id' | 'owner' | 'request' | 'transactionTime' | 'types' | 'since' | 'scope'>): Promise<void> {
    this.statements.insert.run(job.id, job.owner, job.request, job.transactionTime, JSON.stringify(job.types), job.since, JSON.stringify(job.scope));
  }

  async get(id: string): Promise<ExportJobRow | undefined> {
    const row = this.statements.get.get(id) as Row | undefined;
    if (!row || row.owner === null) return undefined;
    return {
      id: row.id,
      owner: row.owner,
      status: row.status,
      request: row.request,
      transactionTime: row.transaction_time,
      types: JSON.parse(row.types) as string[],
      since: row.since,
      scope: JSON.parse(row.scope) as ExportJobRow['scope'],
      output: JSON.parse(row.output) as ExportJobRow['output'],
      error: row.error,
      progress: row.progress,
      expiresAt: row.expires_at,
    };
  }

  async inProgressIds(): Promise<string[]> {
    return ids(this.statements.unfinished.all());
  }

  async restart(id: string, transactionTime: string): Promise<void> {
    this.statements.restart.run(transactionTime, id);
  }

  async setProgress(id: string, progress: string): Promise<void> {
    this.statements.progress.run(progress, id);
  }

  async finish(id: string, output: ExportJobRow['output'], expiresAt: number): Promise<void> {
    this.statements.finish.run(JSON.stringify(output), expiresAt, id);
  }

  async fail(id: string, error: string, expiresAt: number): Promise<void> {
    this.statements.fail.run(error, expiresAt, id);
  }

  async remove(id: string): Promise<void> {
    this.statements.remove.run(id);
  }

  async expiredIds(now: number): Promise<string[]> {
    return ids(this.statements.expired.all(now));
  }

  async unownedIds(): Promise<string[]> {
    return ids(this.statements.unowned.all());
  }

  async allIds(): Promise<string[]> {
    return ids(this.statements.ids.all());
  }
}

function ids(rows: unknown[]): string[] {
  return (rows as Array<{ id: string }>).map((row) => row.id);
}
