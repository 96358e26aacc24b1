// A real IntakePort over a SQLite file, standing in for the node's journal in the HL7 tests and
// the benchmark: WAL + synchronous=FULL, group commit (every submission of one tick in one
// transaction, each in its own savepoint), upsert under the resource's id with identical content
// a no-op. It can be told to reject content, to fail like a broken disk, and to hold commits.

import Database from 'better-sqlite3';
import type { IntakeItem, IntakeItemResult, IntakePort } from '../../gateway/intake/port.js';
import type { FhirResource } from '../../gateway/store/service.js';

type Outcome = { resourceType: 'OperationOutcome'; issue: unknown[] };

export interface SqliteTestIntakeOptions {
  /** An OperationOutcome rejects the resource (and with `atomic`, its whole submission). */
  rejectWhen?: (resource: FhirResource) => Outcome | undefined;
  /** An error here makes the whole commit fail, as a disk error would. */
  failWith?: () => Error | undefined;
  /** Holds each commit this long, to show that nothing is acknowledged before it. */
  commitDelayMs?: number;
}

interface Pending {
  items: IntakeItem[];
  atomic: boolean;
  resolve: (results: IntakeItemResult[]) => void;
  reject: (err: unknown) => void;
}

function sortedJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
  );
}

export class SqliteTestIntake implements IntakePort {
  readonly db: Database.Database;
  /** Wall-clock time of each commit, in order. */
  readonly commits: number[] = [];
  private queue: Pending[] = [];
  private flushing = false;
  private readonly select: Database.Statement;
  private readonly upsert: Database.Statement;
  private readonly history: Database.Statement;

  constructor(
    readonly path: string,
    public options: SqliteTestIntakeOptions = {},
  ) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(`CREATE TABLE IF NOT EXISTS resource (
      type TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, content TEXT NOT NULL,
      PRIMARY KEY (type, id))`);
    this.db.exec(`CREATE TABLE IF NOT EXISTS history (
      type TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, content TEXT NOT NULL,
      PRIMARY KEY (type, id, version))`);
    this.select = this.db.prepare('SELECT version, content FROM resource WHERE type = ? AND id = ?');
    this.upsert = this.db.prepare('INSERT INTO resource (type, id, version, content) VALUES (?, ?, ?, ?) ON CONFLICT (type, id) DO UPDATE SET version = excluded.version, content = excluded.content');
    this.history = this.db.prepare('INSERT INTO history (type, id, version, content) VALUES (?, ?, ?, ?)');
  }

  submit(items: IntakeItem[], options: { source: string; atomic?: boolean }): Promise<IntakeItemResult[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ items, atomic: options.atomic ?? false, resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  /** Row counts per table: what "the store is unchanged" is checked against. */
  counts(): { resources: number; versions: number } {
    const resources = (this.db.prepare('SELECT count(*) AS n FROM resource').get() as { n: number }).n;
    const versions = (this.db.prepare('SELECT count(*) AS n FROM history').get() as { n: number }).n;
    return { resources, versions };
  }

  read(type: string, id: string): FhirResource | undefined {
    const row = this.db.prepare('SELECT content FROM resource WHERE type = ? AND id = ?').get(type, id) as { content: string } | undefined;
    return row && JSON.parse(row.content);
  }

  all(type: string): FhirResource[] {
    return (this.db.prepare('SELECT content FROM resource WHERE type = ? ORDER BY id').all(type) as Array<{ content: string }>).map((r) => JSON.parse(r.content));
  }

  close(): void {
    this.db.close();
  }

  private apply(pending: Pending): IntakeItemResult[] {
    const { select, upsert, history } = this;
    const rejections = pending.items.map(({ resource }) => this.options.rejectWhen?.(resource));
    if (pending.atomic && rejections.some(Boolean)) {
      return rejections.map((outcome) => ({ ok: false, status: 422, outcome: outcome ?? { resourceType: 'OperationOutcome', issue: [{ severity: 'information', code: 'processing', diagnostics: 'not stored: another resource in this atomic submission was rejected' }] } }));
    }
    const lastUpdated = new Date().toISOString();
    return pending.items.map(({ resource }, i): IntakeItemResult => {
      const outcome = rejections[i];
      if (outcome) return { ok: false, status: 422, outcome };
      const { meta: _meta, ...content } = resource;
      const json = sortedJson(content);
      const current = select.get(resource.resourceType, resource.id) as { version: number; content: string } | undefined;
      if (current?.content === json) {
        const versionId = String(current.version);
        return { ok: true, result: { resource: { ...content, meta: { versionId, lastUpdated } }, versionId, lastUpdated, outcome: 'unchanged' } };
      }
      const version = (current?.version ?? 0) + 1;
      upsert.run(resource.resourceType, resource.id, version, json);
      history.run(resource.resourceType, resource.id, version, json);
      const versionId = String(version);
      return { ok: true, result: { resource: { ...content, meta: { versionId, lastUpdated } }, versionId, lastUpdated, outcome: current ? 'updated' : 'created' } };
    });
  }

  private async flush(): Promise<void> {
    const batch = this.queue.splice(0);
    const settled: Array<{ pending: Pending; results?: IntakeItemResult[]; error?: unknown }> = [];
    try {
      const failure = this.options.failWith?.();
      if (failure) throw failure;
      this.db.exec('BEGIN IMMEDIATE');
      try {
        for (const pending of batch) {
          this.db.exec('SAVEPOINT submission');
          try {
            const results = this.apply(pending);
            if (pending.atomic && results.some((r) => !r.ok)) this.db.exec('ROLLBACK TO submission');
            this.db.exec('RELEASE submission');
            settled.push({ pending, results });
          } catch (error) {
            this.db.exec('ROLLBACK TO submission');
            this.db.exec('RELEASE submission');
            settled.push({ pending, error });
          }
        }
        if (this.options.commitDelayMs) await new Promise((r) => setTimeout(r, this.options.commitDelayMs));
        this.db.exec('COMMIT');
        this.commits.push(Date.now());
      } catch (error) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw error;
      }
      for (const s of settled) {
        if (s.error) s.pending.reject(s.error);
        else s.pending.resolve(s.results!);
      }
    } catch (error) {
      for (const pending of batch) pending.reject(error);
    } finally {
      if (this.queue.length > 0) setImmediate(() => void this.flush());
      else this.flushing = false;
    }
  }
}
