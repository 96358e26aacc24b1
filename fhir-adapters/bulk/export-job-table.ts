// The Bulk export job rows as the export server sees them, and the port it keeps them behind:
// SQLite in gateway/store/export-job-store.ts; async so a replicated store can implement it.

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

export interface ExportJobTable {
  /** A new job, in progress. */
  insert(job: Pick<ExportJobRow, 'id' | 'owner' | 'request' | 'transactionTime' | 'types' | 'since' | 'scope'>): Promise<void>;
  /** undefined also for a row without an owner (written before exports were owned). */
  get(id: string): Promise<ExportJobRow | undefined>;
  inProgressIds(): Promise<string[]>;
  /** Runs the job again from the start at a new transaction time. */
  restart(id: string, transactionTime: string): Promise<void>;
  setProgress(id: string, progress: string): Promise<void>;
  finish(id: string, output: ExportJobRow['output'], expiresAt: number): Promise<void>;
  fail(id: string, error: string, expiresAt: number): Promise<void>;
  remove(id: string): Promise<void>;
  expiredIds(now: number): Promise<string[]>;
  /** Jobs written before exports were sealed and owned: their files are plaintext and nobody can be shown them any more. */
  unownedIds(): Promise<string[]>;
  allIds(): Promise<string[]>;
}
