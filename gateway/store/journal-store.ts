// The journal in SQLite: one row per resource version holding its salted leaf, in the order the
// batcher will take them.

import type { Db } from './database.js';
import type { JournalEntry, JournalStore } from './ports.js';

export class SqliteJournal implements JournalStore {
  private readonly insert;

  constructor(db: Db) {
    this.insert = db.prepare(
      'INSERT INTO journal (type, id, version_id, digest, salt, leaf, source, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
  }

  append(entry: JournalEntry): number {
    const { type, id, versionId, digest, salt, leaf, source, receivedAt } = entry;
    return Number(this.insert.run(type, id, versionId, digest, salt, leaf, source, receivedAt).lastInsertRowid);
  }
}
