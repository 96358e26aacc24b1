// Bulk imports in progress, as the importer sees them, and the port it keeps them behind (SQLite
// in gateway/store/bulk-import-job-store.ts; async so a replicated store can implement it): the
// export's status URL (the server keeps the files until we DELETE it), the manifest once the
// export is complete, and per output file how many lines are durable, so an import stopped by a
// crash or a restart continues where it was.

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

export interface ImportJobTable {
  find(kickOffUrl: string): Promise<ImportJob | undefined>;
  create(kickOffUrl: string, statusUrl: string): Promise<ImportJob>;
  setManifest(jobId: number, manifest: BulkManifest): Promise<void>;
  progress(jobId: number, fileIndex: number): Promise<{ linesDone: number; complete: boolean }>;
  saveProgress(jobId: number, fileIndex: number, linesDone: number, complete: boolean): Promise<void>;
  /** The job and its file progress. */
  remove(jobId: number): Promise<void>;
}
