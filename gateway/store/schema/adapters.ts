// The EHR adapters' tables: Bulk import progress, Bulk export jobs, REST sync cursors and
// Subscriptions state. Idempotent (IF NOT EXISTS): data dirs created before this file made them
// lazily open unchanged.

export const ADAPTERS_SCHEMA = `
  -- Bulk imports in progress: the export's status URL, its manifest once complete, and per output
  -- file how many lines are durable, so a restarted import continues where it was.
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
  ) WITHOUT ROWID;

  -- Bulk export jobs run by this node, owned by the client that started them.
  CREATE TABLE IF NOT EXISTS bulk_export_jobs (
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
  ) WITHOUT ROWID;

  -- REST sync cursors, one row per (EHR, resource type).
  CREATE TABLE IF NOT EXISTS ehr_sync_cursors (
    ehr TEXT NOT NULL,
    type TEXT NOT NULL,
    since TEXT,
    seen TEXT NOT NULL DEFAULT '[]',
    history_since TEXT,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (ehr, type)
  ) WITHOUT ROWID;

  -- Per Subscriptions endpoint: the last status heard and the highest event number received.
  CREATE TABLE IF NOT EXISTS subscription_state (
    endpoint TEXT PRIMARY KEY,
    subscription TEXT,
    last_event INTEGER NOT NULL DEFAULT 0,
    status TEXT,
    last_type TEXT,
    updated_at INTEGER NOT NULL
  ) WITHOUT ROWID;
`;

/**
 * Columns added to existing tables after they first shipped. SQLite has no ADD COLUMN IF NOT
 * EXISTS, so whoever applies the schema adds each one only when the table lacks it. Export jobs
 * gained an owner and an expiry with the Bulk export security fixes; rows without an owner are
 * deleted when exports open (export-jobs.ts).
 */
export const ADAPTERS_ADDED_COLUMNS: ReadonlyArray<{ table: string; column: string; definition: string }> = [
  { table: 'bulk_export_jobs', column: 'owner', definition: 'TEXT' },
  { table: 'bulk_export_jobs', column: 'expires_at', definition: 'INTEGER' },
];
