// The search index's tables for the R5 search parameters (store/search-index.ts): keyed hashes
// and references in search_index, clinical date ranges and quantity values, which range search
// compares in order, in search_date and search_quantity. None holds anything that names a patient
// (docs/search.md).
//
// Intake pays one B-tree insert per row, so each table is WITHOUT ROWID keyed by what a search
// looks up, and none has a second index by owner: the store deletes an updated resource's rows by
// their full key, recomputed from the version it replaces (resource-store.ts). A token is one row:
// `value` is the keyed hash of its code and `qual` that of system|code ('' without a system), so
// `code=x` reads the key's prefix and `code=sys|x` the key one column further. The tables are made again here because the
// index before them had two rows per token and owner indexes; the store rebuilds their rows from
// the vault when it opens (resource-store.ts, reindexIfStale).

/** The three tables, in `schema` (`''` or `search.`), made only when missing with `ifNotExists`. */
function searchTables(schema: string, ifNotExists: boolean): string {
  const create = `CREATE TABLE ${ifNotExists ? 'IF NOT EXISTS ' : ''}${schema}`;
  return `
  ${create}search_index (
    type TEXT NOT NULL,
    param TEXT NOT NULL,
    value TEXT NOT NULL,
    qual TEXT NOT NULL,
    id TEXT NOT NULL,
    PRIMARY KEY (type, param, value, qual, id)
  ) WITHOUT ROWID;

  ${create}search_date (
    type TEXT NOT NULL,
    param TEXT NOT NULL,
    low TEXT NOT NULL,
    high TEXT NOT NULL,
    id TEXT NOT NULL,
    PRIMARY KEY (type, param, low, high, id)
  ) WITHOUT ROWID;

  ${create}search_quantity (
    type TEXT NOT NULL,
    param TEXT NOT NULL,
    value REAL NOT NULL,
    unit_system TEXT NOT NULL,
    unit_code TEXT NOT NULL,
    id TEXT NOT NULL,
    PRIMARY KEY (type, param, value, unit_system, id)
  ) WITHOUT ROWID;
`;
}

export const SEARCH_SCHEMA = `
  DROP TABLE IF EXISTS search_index;
  DROP TABLE IF EXISTS search_date;
  DROP TABLE IF EXISTS search_quantity;
${searchTables('', false)}`;

/**
 * The search tables moved to their own database file (store/search-file.ts), written by their own
 * thread; this step drops the old ones from the node's database and forgets their state, and the
 * store fills the new file from the vault when it opens.
 */
export const SEARCH_MOVED_OUT = `
  DROP TABLE IF EXISTS main.search_index;
  DROP TABLE IF EXISTS main.search_date;
  DROP TABLE IF EXISTS main.search_quantity;
  DELETE FROM main.node_state WHERE key IN ('search_index_version', 'search_index_through_seq');
`;

/** The search file's tables (attached as `search`): those above, and the index's own state. */
export const SEARCH_FILE_SCHEMA = `${searchTables('search.', true)}
  CREATE TABLE IF NOT EXISTS search.index_state (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
`;
