// Durable REST sync cursors, one row per (EHR, resource type), in the node's own database. A row
// is written only after the page it describes was acknowledged by IntakePort, so a crash between
// the two re-reads that page, and intake's "unchanged" no-op makes the re-read harmless.

import type { Db } from '../../gateway/store/database.js';
import { START_CURSOR, type SearchCursor } from './search-cursor.js';

export interface TypeCursor {
  search: SearchCursor;
  /** `_since` for the next `_history` pass; null until the first pass set it. */
  historySince: string | null;
}

interface CursorRow {
  since: string | null;
  seen: string;
  history_since: string | null;
}

export class SyncCursorStore {
  private readonly select;
  private readonly upsertSearch;
  private readonly upsertHistory;

  constructor(db: Db) {
    db.exec(`CREATE TABLE IF NOT EXISTS ehr_sync_cursors (
      ehr TEXT NOT NULL,
      type TEXT NOT NULL,
      since TEXT,
      seen TEXT NOT NULL DEFAULT '[]',
      history_since TEXT,
      updated_at INTEGER NOT NULL,
      PRIMARY KEY (ehr, type)
    ) WITHOUT ROWID`);
    this.select = db.prepare('SELECT since, seen, history_since FROM ehr_sync_cursors WHERE ehr = ? AND type = ?');
    this.upsertSearch = db.prepare(`INSERT INTO ehr_sync_cursors (ehr, type, since, seen, updated_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (ehr, type) DO UPDATE SET since = excluded.since, seen = excluded.seen, updated_at = excluded.updated_at`);
    this.upsertHistory = db.prepare(`INSERT INTO ehr_sync_cursors (ehr, type, history_since, updated_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (ehr, type) DO UPDATE SET history_since = excluded.history_since, updated_at = excluded.updated_at`);
  }

  get(ehr: string, type: string): TypeCursor {
    const row = this.select.get(ehr, type) as CursorRow | undefined;
    if (!row) return { search: START_CURSOR, historySince: null };
    return { search: { since: row.since, seen: JSON.parse(row.seen) as string[] }, historySince: row.history_since };
  }

  saveSearch(ehr: string, type: string, cursor: SearchCursor): void {
    this.upsertSearch.run(ehr, type, cursor.since, JSON.stringify(cursor.seen), Date.now());
  }

  saveHistory(ehr: string, type: string, since: string): void {
    this.upsertHistory.run(ehr, type, since, Date.now());
  }
}
