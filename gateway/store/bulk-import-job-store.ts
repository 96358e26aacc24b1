// Bulk imports in progress in SQLite (tables bulk_import_jobs and bulk_import_files,
// schema/adapters.ts), behind the port the importer declares (fhir-adapters/bulk/import-job-table.ts).

import type { BulkManifest, ImportJob, ImportJobTable } from '../../fhir-adapters/bulk/import-job-table.js';
import type { Db } from './database.js';

export class BulkImportJobStore implements ImportJobTable {
  private readonly statements;

  constructor(db: Db) {
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

  async find(kickOffUrl: string): Promise<ImportJob | undefined> {
    const row = this.statements.byKickOff.get(kickOffUrl) as
      | { id: number; kick_off_url: string; status_url: string; manifest: string | null }
      | undefined;
    if (!row) return undefined;
    return { id: row.id, kickOffUrl: row.kick_off_url, statusUrl: row.status_url, manifest: row.manifest ? (JSON.parse(row.manifest) as BulkManifest) : null };
  }

  async create(kickOffUrl: string, statusUrl: string): Promise<ImportJob> {
    const result = this.statements.insert.run(kickOffUrl, statusUrl, Date.now());
    return { id: Number(result.lastInsertRowid), kickOffUrl, statusUrl, manifest: null };
  }

  async setManifest(jobId: number, manifest: BulkManifest): Promise<void> {
    this.statements.setManifest.run(JSON.stringify(manifest), jobId);
  }

  async progress(jobId: number, fileIndex: number): Promise<{ linesDone: number; complete: boolean }> {
    const row = this.statements.fileProgress.get(jobId, fileIndex) as { lines_done: number; complete: number } | undefined;
    return { linesDone: row?.lines_done ?? 0, complete: row?.complete === 1 };
  }

  async saveProgress(jobId: number, fileIndex: number, linesDone: number, complete: boolean): Promise<void> {
    this.statements.saveProgress.run(jobId, fileIndex, linesDone, complete ? 1 : 0);
  }

  async remove(jobId: number): Promise<void> {
    this.statements.remove.run(jobId);
  }
}
