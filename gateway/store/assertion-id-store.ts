// The client assertion ids (jti) the token endpoint accepted, in SQLite (auth's AssertionIdRecords
// port), so a restart does not reopen the replay window.

import type { AssertionIdRecords } from '../auth/ports.js';
import type { Db } from './database.js';

export class SqliteAssertionIdStore implements AssertionIdRecords {
  private readonly insert;
  private readonly purge;

  constructor(db: Db) {
    // One INSERT, so two concurrent requests with the same assertion cannot both claim it.
    this.insert = db.prepare('INSERT INTO auth_assertion_jti (client_id, jti, expires_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING');
    this.purge = db.prepare('DELETE FROM auth_assertion_jti WHERE expires_at <= ?');
  }

  async claim(clientId: string, jti: string, expiresAt: number): Promise<boolean> {
    return this.insert.run(clientId, jti, expiresAt).changes === 1;
  }

  async purgeExpired(now: number): Promise<number> {
    return this.purge.run(now).changes;
  }
}
