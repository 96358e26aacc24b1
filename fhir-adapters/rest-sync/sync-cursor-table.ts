// Durable REST sync cursors, one per (EHR, resource type), and the port they are kept behind
// (SQLite in gateway/store/sync-cursor-store.ts; async so a replicated store can implement it).
// A cursor is written only after the page it describes was acknowledged by IntakePort, so a crash
// between the two re-reads that page, and intake's "unchanged" no-op makes the re-read harmless.

import type { SearchCursor } from './search-cursor.js';

export interface TypeCursor {
  search: SearchCursor;
  /** `_since` for the next `_history` pass; null until the first pass set it. */
  historySince: string | null;
}

export interface SyncCursorTable {
  /** null until a cursor of the (EHR, type) was saved. */
  get(ehr: string, type: string): Promise<TypeCursor | null>;
  saveSearch(ehr: string, type: string, cursor: SearchCursor): Promise<void>;
  saveHistory(ehr: string, type: string, since: string): Promise<void>;
}
