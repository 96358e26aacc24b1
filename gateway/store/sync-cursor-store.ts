// REST sync cursors in SQLite (table ehr_sync_cursors, schema/adapters.ts), behind the port REST
// sync declares (fhir-adapters/rest-sync/sync-cursor-table.ts).

import type { SearchCursor } from '../../fhir-adapters/rest-sync/search-cursor.js';
import type { SyncCursorTable, TypeCursor } from '../../fhir-adapters/rest-sync/sync-cursor-table.js';
import type { Db } from './database.js';

interface CursorRow {
  since: string | null;
  seen: string;
  history_since: string | null;
}

export class SyncCursorStore implements SyncCursorTable {
  private readonly select;
  private readonly upsertSearch;
  private readonly upsertHistory;

  constructor(db: Db) {
    this.select = db.prepare('SELECT since, seen, history_since FROM ehr_sync_cursors WHERE ehr = ? AND type = ?');
    this.upsertSearch = db.prepare(`INSERT INTO ehr_sync_cursors (ehr, type, since, seen, updated_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (ehr, type) DO UPDATE SET since = excluded.since, seen = excluded.seen, updated_at = excluded.updated_at`);
    this.upsertHistory = db.prepare(`INSERT INTO ehr_sync_cursors (ehr, type, history_since, updated_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (ehr, type) DO UPDATE SET history_since = excluded.history_since, updated_at = excluded.updated_at`);
  }

  async get(ehr: string, type: string): Promise<TypeCursor | null> {
    const row = this.select.get(ehr, type) as CursorRow | undefined;
    if (!row) return null;
    return { search: { since: row.since, seen: JSON.parse(row.seen) as string[] }, historySince: row.history_since };
  }

  async saveSearch(ehr: string, type: string, cursor: SearchCursor): Promise<void> {
    this.upsertSearch.run(ehr, type, cursor.since, JSON.stringify(cursor.seen), Date.now());
  }

  async saveHistory(ehr: string, type: string, since: string): Promise<void> {
    this.upsertHistory.run(ehr, type, since, Date.now());
  }
}
