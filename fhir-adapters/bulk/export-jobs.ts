// Bulk export jobs run by the node: the job rows (SQLite) and the work of writing one NDJSON file
// per resource type into the data directory. A job interrupted by a restart is run again from the
// start when the plugin loads, since its parameters are in its row.

import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';
import type { Db } from '../../gateway/store/database.js';
import type { FhirResource } from '../../gateway/store/service.js';
import type { ListAll } from './store-export-source.js';

export type ExportScope = { kind: 'system' } | { kind: 'patient' } | { kind: 'group'; patients: string[] };

export interface ExportJobRow {
  id: string;
  status: 'in-progress' | 'completed' | 'failed';
  request: string;
  transactionTime: string;
  types: string[];
  since: string | null;
  scope: ExportScope;
  output: Array<{ type: string; file: string; count: number }>;
  error: string | null;
  progress: string | null;
}

interface Row {
  id: string;
  status: ExportJobRow['status'];
  request: string;
  transaction_time: string;
  types: string;
  since: string | null;
  scope: string;
  output: string;
  error: string | null;
  progress: string | null;
}

const PATIENT_REFERENCES = ['subject', 'patient', 'beneficiary'];

export class ExportJobs {
  private readonly statements;

  constructor(
    db: Db,
    private readonly dataDir: string,
    private readonly listAll: ListAll,
  ) {
    db.exec(`CREATE TABLE IF NOT EXISTS bulk_export_jobs (
      id TEXT PRIMARY KEY,
      status TEXT NOT NULL,
      request TEXT NOT NULL,
      transaction_time TEXT NOT NULL,
      types TEXT NOT NULL,
      since TEXT,
      scope TEXT NOT NULL,
      output TEXT NOT NULL DEFAULT '[]',
      error TEXT,
      progress TEXT
    ) WITHOUT ROWID`);
    this.statements = {
      insert: db.prepare(`INSERT INTO bulk_export_jobs (id, status, request, transaction_time, types, since, scope)
        VALUES (?, 'in-progress', ?, ?, ?, ?, ?)`),
      get: db.prepare('SELECT * FROM bulk_export_jobs WHERE id = ?'),
      unfinished: db.prepare("SELECT * FROM bulk_export_jobs WHERE status = 'in-progress'"),
      restart: db.prepare('UPDATE bulk_export_jobs SET transaction_time = ?, progress = NULL WHERE id = ?'),
      progress: db.prepare('UPDATE bulk_export_jobs SET progress = ? WHERE id = ?'),
      finish: db.prepare("UPDATE bulk_export_jobs SET status = 'completed', output = ?, progress = NULL WHERE id = ?"),
      fail: db.prepare("UPDATE bulk_export_jobs SET status = 'failed', error = ? WHERE id = ?"),
      remove: db.prepare('DELETE FROM bulk_export_jobs WHERE id = ?'),
    };
  }

  start(request: string, types: string[], since: string | null, scope: ExportScope): ExportJobRow {
    const id = randomUUID();
    this.statements.insert.run(id, request, new Date().toISOString(), JSON.stringify(types), since, JSON.stringify(scope));
    const job = this.get(id)!;
    void this.run(job);
    return job;
  }

  /** Re-runs the jobs a previous process left in progress. */
  resumeUnfinished(): void {
    for (const row of this.statements.unfinished.all() as Row[]) {
      this.statements.restart.run(new Date().toISOString(), row.id);
      void this.run(this.get(row.id)!);
    }
  }

  get(id: string): ExportJobRow | undefined {
    const row = this.statements.get.get(id) as Row | undefined;
    if (!row) return undefined;
    return {
      id: row.id,
      status: row.status,
      request: row.request,
      transactionTime: row.transaction_time,
      types: JSON.parse(row.types) as string[],
      since: row.since,
      scope: JSON.parse(row.scope) as ExportScope,
      output: JSON.parse(row.output) as ExportJobRow['output'],
      error: row.error,
      progress: row.progress,
    };
  }

  filePath(job: ExportJobRow, file: string): string {
    return join(this.jobDir(job.id), file);
  }

  async remove(id: string): Promise<void> {
    this.statements.remove.run(id);
    await rm(this.jobDir(id), { recursive: true, force: true });
  }

  private jobDir(id: string): string {
    return join(this.dataDir, 'bulk-export', id);
  }

  private async run(job: ExportJobRow): Promise<void> {
    try {
      await rm(this.jobDir(job.id), { recursive: true, force: true });
      await mkdir(this.jobDir(job.id), { recursive: true });
      const output: ExportJobRow['output'] = [];
      for (const [index, type] of job.types.entries()) {
        this.statements.progress.run(`exporting ${type} (${index + 1}/${job.types.length})`, job.id);
        const file = `${index}-${type}.ndjson`;
        const count = await this.writeFile(this.filePath(job, file), this.selected(type, job));
        if (count > 0) output.push({ type, file, count });
      }
      if (this.get(job.id)) this.statements.finish.run(JSON.stringify(output), job.id);
    } catch (error) {
      this.statements.fail.run(error instanceof Error ? error.message : String(error), job.id);
    }
  }

  private async *selected(type: string, job: ExportJobRow): AsyncIterable<FhirResource> {
    const patients = job.scope.kind === 'group' ? new Set(job.scope.patients) : undefined;
    for await (const resource of this.listAll(type, job.since ?? undefined)) {
      if (job.scope.kind === 'system' || inCompartment(resource, patients)) yield resource;
    }
  }

  private async writeFile(path: string, resources: AsyncIterable<FhirResource>): Promise<number> {
    const out = createWriteStream(path);
    let count = 0;
    try {
      for await (const resource of resources) {
        if (!out.write(`${JSON.stringify(resource)}\n`)) await once(out, 'drain');
        count++;
      }
    } finally {
      out.end();
      await once(out, 'close');
    }
    return count;
  }
}

function inCompartment(resource: FhirResource, patients: Set<string> | undefined): boolean {
  const references =
    resource.resourceType === 'Patient'
      ? [`Patient/${resource.id}`]
      : PATIENT_REFERENCES.map((element) => (resource[element] as { reference?: string } | undefined)?.reference ?? '');
  return references.some((reference) => reference.startsWith('Patient/') && (patients === undefined || patients.has(reference)));
}
