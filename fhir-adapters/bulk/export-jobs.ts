// Bulk export jobs run by the node: the job rows (ExportJobTable) and the work of writing one sealed
// NDJSON file per resource type into the data directory (sealed-ndjson.ts: the files are as
// protected as the vault, and an erased patient drops out of them). Each job belongs to the
// client that started it; a finished job and its files are deleted once its retention ends.
// A job interrupted by a restart is run again from the start when the plugin loads, since its
// parameters are in its row.

import { randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { FhirResource } from '../../gateway/store/service.js';
import type { Vault } from '../../gateway/store/vault.js';
import type { ExportJobRow, ExportJobTable, ExportScope } from './export-job-table.js';
import { readSealedNdjson, writeSealedNdjson } from './sealed-ndjson.js';
import type { ListAll } from './store-export-source.js';

export interface ExportJobsOptions {
  /** The job rows (gateway/store/export-job-store.ts). */
  table: ExportJobTable;
  dataDir: string;
  listAll: ListAll;
  vault: Pick<Vault, 'seal' | 'open' | 'isShredded'>;
  /** How long a finished (completed or failed) job and its files are kept. */
  retentionMs: number;
  now?: () => number;
}

const PATIENT_REFERENCES = ['subject', 'patient', 'beneficiary'];

export class ExportJobs {
  private readonly table: ExportJobTable;
  private readonly root: string;
  private readonly now: () => number;

  constructor(private readonly options: ExportJobsOptions) {
    this.table = options.table;
    this.now = options.now ?? Date.now;
    this.root = join(options.dataDir, 'bulk-export');
  }

  /**
   * Prepares the export directory (0700) after a restart: deletes expired and unowned jobs and
   * any directory no job row claims, then re-runs the jobs a previous process left in progress.
   */
  async open(): Promise<void> {
    mkdirSync(this.root, { recursive: true, mode: 0o700 });
    chmodSync(this.root, 0o700);
    for (const id of await this.table.unownedIds()) await this.remove(id);
    await this.removeExpired();
    const known = new Set(await this.table.allIds());
    for (const entry of readdirSync(this.root)) {
      if (!known.has(entry)) rmSync(join(this.root, entry), { recursive: true, force: true });
    }
    for (const id of await this.table.inProgressIds()) {
      await this.table.restart(id, new Date(this.now()).toISOString());
      void this.run((await this.table.get(id))!);
    }
  }

  async start(owner: string, request: string, types: string[], since: string | null, scope: ExportScope): Promise<ExportJobRow> {
    const id = randomUUID();
    await this.table.insert({ id, owner, request, transactionTime: new Date(this.now()).toISOString(), types, since, scope });
    const job = (await this.table.get(id))!;
    void this.run(job);
    return job;
  }

  /** The job, unless it does not exist, has expired, or belongs to another client. */
  async getFor(id: string, owner: string): Promise<ExportJobRow | undefined> {
    const job = await this.table.get(id);
    if (!job || job.owner !== owner) return undefined;
    if (job.expiresAt !== null && job.expiresAt <= this.now()) {
      await this.remove(job.id);
      return undefined;
    }
    return job;
  }

  /** The NDJSON text of one output file, decrypted as it streams. */
  read(job: ExportJobRow, file: string): AsyncGenerator<Buffer> {
    return readSealedNdjson(this.filePath(job.id, file), `${job.id}/${file}`, this.options.vault);
  }

  async remove(id: string): Promise<void> {
    await this.table.remove(id);
    rmSync(this.jobDir(id), { recursive: true, force: true });
  }

  /** Deletes every job whose retention has ended, with its files. */
  async removeExpired(): Promise<void> {
    for (const id of await this.table.expiredIds(this.now())) await this.remove(id);
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
        await this.table.setProgress(job.id, `exporting ${type} (${index + 1}/${job.types.length})`);
        const file = `${index}-${type}.ndjson`;
        const count = await writeSealedNdjson(this.filePath(job.id, file), `${job.id}/${file}`, this.selected(type, job), this.options.vault);
        if (count > 0) output.push({ type, file, count });
      }
      if (await this.table.get(job.id)) await this.table.finish(job.id, output, this.now() + this.options.retentionMs);
      else rmSync(this.jobDir(job.id), { recursive: true, force: true });
    } catch (error) {
      await this.table.fail(job.id, error instanceof Error ? error.message : String(error), this.now() + this.options.retentionMs);
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
