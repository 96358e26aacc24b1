// Bulk imports in progress, in the node's database, so an import stopped by a crash or a restart
// continues where it was: the export's status URL (the server keeps the files until we DELETE
// it), the manifest once the export is complete, and per output file how many lines are durable.

import type { Db } from '../../gateway/store/database.js';

export interface ManifestOutput {
  type: string;
  url: string;
  count?: number;
}

export interface BulkManifest {
  transactionTime: string;
  request: string;
  requiresAccessToken: boolean;
  output: ManifestOutput[];
  error?: ManifestOutput[];
}

export interface ImportJob {
  id: number;
  kickOffUrl: string;
  statusUrl: string;
  manifest: BulkManifest | null;
}

export class BulkJobStore {
  private readonly statements;

  constructor(db: Db) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS bulk_import_jobs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kick_off_url TEXT NOT NULL UNIQUE,
        status_url TEXT NOT NULL,
        manifest TEXT,
        started_at INTEGER NOT NULL
      );
      CREATE TABLE IF NOT EXISTS bulk_import_files (
        job_id INTEGER NOT NULL REFERENCES bulk_import_jobs (id) ON DELETE CASCADE,
        file_index INTEGER NOT NULL,
        lines_done INTEGER NOT NULL DEFAULT 0,
        complete INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (job_id, file_index)
      ) WITHOUT ROWID;`);
    this.statements = {
      byKickOff: db.prepare('SELECT id, kick_off_url, status_url, manifest FROM bulk_import_jobs WHERE kick_off_url = ?'),
      insert: db.prepare('INSERT INTO bulk_import_jobs (kick_off_url, status_url, started_at) VALUES (?, ?, ?)'),
      setManifest: db.prepare('UPDATE bulk_import_jobs SET manifest = ? WHERE id = ?'),
      remove: db.prepare('DELETE FROM bulk_import_jobs WHERE id = ?'),
      fileProgress: db.prepare('SELECT lines_done, complete FROM bulk_import_files WHERE job_id = ? AND file_index = ?'),
      saveProgress: db.prepare(`INSERT INTO bulk_import_files (job_id, file_index, lines_done, complete) VALUES (?, ?, ?, ?)
        ON CONFLICT (job_id, file_index) DO UPDATE SET lines_done = excluded.lines_done, complete = excluded.complete`),
    };
  }

  find(kickOffUrl: string): ImportJob | undefined {
    const row = this.statements.byKickOff.get(kickOffUrl) as
      | { id: number; kick_off_url: string; status_url: string; manifest: string | null }
      | undefined;
    if (!row) return undefined;
    return { id: row.id, kickOffUrl: row.kick_off_url, statusUrl: row.status_url, manifest: row.manifest ? (JSON.parse(row.manifest) as BulkManifest) : null };
  }

  create(kickOffUrl: string, statusUrl: string): ImportJob {
    const result = this.statements.insert.run(kickOffUrl, statusUrl, Date.now());
    return { id: Number(result.lastInsertRowid), kickOffUrl, statusUrl, manifest: null };
  }

  setManifest(job: ImportJob, manifest: BulkManifest): void {
    this.statements.setManifest.run(JSON.stringify(manifest), job.id);
    job.manifest = manifest;
  }

  progress(job: ImportJob, fileIndex: number): { linesDone: number; complete: boolean } {
    const row = this.statements.fileProgress.get(job.id, fileIndex) as { lines_done: number; complete: number } | undefined;
    return { linesDone: row?.lines_done ?? 0, complete: row?.complete === 1 };
  }

  saveProgress(job: ImportJob, fileIndex: number, linesDone: number, complete: boolean): void {
    this.statements.saveProgress.run(job.id, fileIndex, linesDone, complete ? 1 : 0);
  }

  remove(job: ImportJob): void {
    this.statements.remove.run(job.id);
  }
}
