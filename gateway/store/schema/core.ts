// The core tables: resource versions and the current pointer, the search index, the journal of
// salted leaves, the Merkle batches, the vault's data keys and the node's own state. This was the
// first migration when the database had one; IF NOT EXISTS so it can run again on any data dir.

export const CORE_SCHEMA = `
  -- A rowid table: the sealed resource is a large value, which WITHOUT ROWID tables store badly.
  CREATE TABLE IF NOT EXISTS resource_versions (
    type TEXT NOT NULL,
    id TEXT NOT NULL,
    version_id INTEGER NOT NULL,
    last_updated TEXT NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    compartment TEXT NOT NULL,
    sealed BLOB,
    digest BLOB NOT NULL,
    journal_seq INTEGER NOT NULL,
    UNIQUE (type, id, version_id)
  );

  CREATE TABLE IF NOT EXISTS resource_current (
    type TEXT NOT NULL,
    id TEXT NOT NULL,
    version_id INTEGER NOT NULL,
    deleted INTEGER NOT NULL,
    last_updated TEXT NOT NULL,
    digest BLOB NOT NULL,
    PRIMARY KEY (type, id)
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS resource_current_updated ON resource_current (type, last_updated);

  CREATE TABLE IF NOT EXISTS search_index (
    type TEXT NOT NULL,
    id TEXT NOT NULL,
    param TEXT NOT NULL,
    value TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS search_index_lookup ON search_index (type, param, value);
  CREATE INDEX IF NOT EXISTS search_index_owner ON search_index (type, id);

  -- One row per resource version: the salted leaf that will be anchored. Batches take journal
  -- rows in seq order, so a batch is the contiguous range first_seq..last_seq and a leaf's index
  -- in its tree is seq - first_seq: closing a batch never rewrites journal rows.
  CREATE TABLE IF NOT EXISTS journal (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    type TEXT NOT NULL,
    id TEXT NOT NULL,
    version_id INTEGER NOT NULL,
    digest BLOB NOT NULL,
    salt BLOB NOT NULL,
    leaf BLOB NOT NULL,
    source TEXT NOT NULL,
    received_at INTEGER NOT NULL
  );

  CREATE TABLE IF NOT EXISTS batches (
    seq INTEGER PRIMARY KEY,
    root BLOB NOT NULL UNIQUE,
    leaf_count INTEGER NOT NULL,
    prev_root BLOB NOT NULL,
    first_seq INTEGER NOT NULL UNIQUE,
    last_seq INTEGER NOT NULL UNIQUE,
    closed_at INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('closed', 'anchored')),
    tx_hash TEXT,
    block_number INTEGER,
    block_time INTEGER,
    chain_id INTEGER,
    contract TEXT,
    member TEXT,
    submitter TEXT,
    anchored_at INTEGER
  );

  CREATE TABLE IF NOT EXISTS data_keys (
    compartment TEXT PRIMARY KEY,
    wrapped BLOB,
    created_at INTEGER NOT NULL,
    shredded_at INTEGER
  ) WITHOUT ROWID;

  CREATE TABLE IF NOT EXISTS node_state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) WITHOUT ROWID;
`;
