// Bulk export jobs run by the node: the job rows (SQLite) and the work of writing one sealed
// NDJSON file per resource type into the data directory (sealed-ndjson.ts: the files are as
// protected as the vault, and an erased patient drops out of them). Each job belongs to the
// client that started it; a finished job and its files are deleted once its retention ends.
// A job interrupted by a restart is run again from the start when the plugin loads, since its
// parameters are in its row.

import { randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from '../../gateway/store/database.js';
import type { FhirResource } from '../../gateway/store/service.js';
import type { Vault } from '../../gateway/store/vault.js';
import { readSealedNdjson, writeSealedNdjson } from './sealed-ndjson.js';
import type { ListAll } from './store-export-source.js';

export type ExportScope = { kind: 'system' } | { kind: 'patient' } | { kind: 'group'; patients: string[] };

export interface ExportJobRow {
  id: string;
  /** The client that started the job; only it may see, download or delete it. */
  owner: string;
  status: 'in-progress' | 'completed' | 'failed';
  request: string;
  transactionTime: string;
  types: string[];
  since: string | null;
  scope: ExportScope;
  output: Array<{ type: string; file: string; count: number }>;
  error: string | null;
  progress: string | null;
  /** Epoch ms after which the job and its files are deleted; null while it runs. */
  expiresAt: number | null;
}

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

export interface ExportJobsOptions {
  db: Db;
  dataDir: string;
  listAll: ListAll;
  vault: Pick<Vault, 'seal' | 'open' | 'isShredded'>;
  /** How long a finished (completed or failed) job and its files are kept. */
  retentionMs: number;
  now?: () => number;
}

const PATIENT_REFERENCES = ['subject', 'patient', 'beneficiary'];

export class ExportJobs {
  private readonly statements;
  private readonly root: string;
  private readonly now: () => number;

  constructor(private readonly options: ExportJobsOptions) {
    const { db } = options;
    this.now = options.now ?? Date.now;
    this.root = join(options.dataDir, 'bulk-export');
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
    const columns = new Set((db.prepare('PRAGMA table_info(bulk_export_jobs)').all() as Array<{ name: string }>).map((column) => column.name));
    if (!columns.has('owner')) db.exec('ALTER TABLE bulk_export_jobs ADD COLUMN owner TEXT');
    if (!columns.has('expires_at')) db.exec('ALTER TABLE bulk_export_jobs ADD COLUMN expires_at INTEGER');
    this.statements = {
      insert: db.prepare(`INSERT INTO bulk_export_jobs (id, owner, status, request, transaction_time, types, since, scope)
        VALUES (?, ?, 'in-progress', ?, ?, ?, ?, ?)`),
      get: db.prepare('SELECT * FROM bulk_export_jobs WHERE id = ?'),
      unfinished: db.prepare("SELECT * FROM bulk_export_jobs WHERE status = 'in-progress'"),
      restart: db.prepare('UPDATE bulk_export_jobs SET transaction_time = ?, progress = NULL WHERE id = ?'),
      progress: db.prepare('UPDATE bulk_export_jobs SET progress = ? WHERE id = ?'),
      finish: db.prepare("UPDATE bulk_export_jobs SET status = 'completed', output = ?, progress = NULL, expires_at = ? WHERE id = ?"),
      fail: db.prepare("UPDATE bulk_export_jobs SET status = 'failed', error = ?, expires_at = ? WHERE id = ?"),
      remove: db.prepare('DELETE FROM bulk_export_jobs WHERE id = ?'),
      expired: db.prepare('SELECT id FROM bulk_export_jobs WHERE expires_at <= ?'),
      // Jobs written before exports were sealed and owned: their files are plaintext and nobody
      // can be shown them any more.
      unowned: db.prepare('SELECT id FROM bulk_export_jobs WHERE owner IS NULL'),
      ids: db.prepare('SELECT id FROM bulk_export_jobs'),
    };
  }

  /**
   * Prepares the export directory (0700) after a restart: deletes expired and unowned jobs and
   * any directory no job row claims, then re-runs the jobs a previous process left in progress.
   */
  open(): void {
    mkdirSync(this.root, { recursive: true, mode: 0o700 });
    chmodSync(this.root, 0o700);
    for (const { id } of this.statements.unowned.all() as Array<{ id: string }>) this.remove(id);
    this.removeExpired();
    const known = new Set((this.statements.ids.all() as Array<{ id: string }>).map((row) => row.id));
    for (const entry of readdirSync(this.root)) {
      if (!known.has(entry)) rmSync(join(this.root, entry), { recursive: true, force: true });
    }
    for (const row of this.statements.unfinished.all() as Row[]) {
      this.statements.restart.run(new Date(this.now()).toISOString(), row.id);
      void this.run(this.get(row.id)!);
    }
  }

  start(owner: string, request: string, types: string[], since: string | null, scope: ExportScope): ExportJobRow {
    const id = randomUUID();
    this.statements.insert.run(id, owner, request, new Date(this.now()).toISOString(), JSON.stringify(types), since, JSON.stringify(scope));
    const job = this.get(id)!;
    void this.run(job);
    return job;
  }

  /** The job, unless it does not exist, has expired, or belongs to another client. */
  getFor(id: string, owner: string): ExportJobRow | undefined {
    const job = this.get(id);
    if (!job || job.owner !== owner) return undefined;
    if (job.expiresAt !== null && job.expiresAt <= this.now()) {
      this.remove(job.id);
      return undefined;
    }
    return job;
  }

  /** The NDJSON text of one output file, decrypted as it streams. */
  read(job: ExportJobRow, file: string): AsyncGenerator<Buffer> {
    return readSealedNdjson(this.filePath(job.id, file), `${job.id}/${file}`, this.options.vault);
  }

  remove(id: string): void {
    this.statements.remove.run(id);
    rmSync(this.jobDir(id), { recursive: true, force: true });
  }

  /** Deletes every job whose retention has ended, with its files. */
  removeExpired(): void {
    for (const { id } of this.statements.expired.all(this.now()) as Array<{ id: string }>) this.remove(id);
  }

  private get(id: string): ExportJobRow | undefined {
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
      scope: JSON.parse(row.scope) as ExportScope,
      output: JSON.parse(row.output) as ExportJobRow['output'],
      error: row.error,
      progress: row.progress,
      expiresAt: row.expires_at,
    };
  }

  private filePath(id: string, file: string): string {
    return join(this.jobDir(id), file);
  }

  private jobDir(id: string): string {
    return join(this.root, id);
  }

  private async run(job: ExportJobRow): Promise<void> {
    try {
      rmSync(this.jobDir(job.id), { recursive: true, force: true });
      mkdirSync(this.jobDir(job.id), { recursive: true, mode: 0o700 });
      const output: ExportJobRow['output'] = [];
      for (const [index, type] of job.types.entries()) {
        this.statements.progress.run(`exporting ${type} (${index + 1}/${job.types.length})`, job.id);
        const file = `${index}-${type}.ndjson`;
        const count = await writeSealedNdjson(this.filePath(job.id, file), `${job.id}/${file}`, this.selected(type, job), this.options.vault);
        if (count > 0) output.push({ type, file, count });
      }
      if (this.get(job.id)) this.statements.finish.run(JSON.stringify(output), this.now() + this.options.retentionMs, job.id);
      else rmSync(this.jobDir(job.id), { recursive: true, force: true });
    } catch (error) {
      this.statements.fail.run(error instanceof Error ? error.message : String(error), this.now() + this.options.retentionMs, job.id);
    }
  }

  private async *selected(type: string, job: ExportJobRow): AsyncIterable<FhirResource> {
    const patients = job.scope.kind === 'group' ? new Set(job.scope.patients) : undefined;
    for await (const resource of this.options.listAll(type, job.since ?? undefined)) {
      if (job.scope.kind === 'system' || inCompartment(resource, patients)) yield resource;
    }
  }
}

function inCompartment(resource: FhirResource, patients: Set<string> | undefined): boolean {
  const references =
    resource.resourceType === 'Patient'
      ? [`Patient/${resource.id}`]
      : PATIENT_REFERENCES.map((element) => (resource[element] as { reference?: string } | undefined)?.reference ?? '');
  return references.some((reference) => reference.startsWith('Patient/') && (patients === undefined || patients.has(reference)));
}
