// The redeemed join-token ids (telehealth's JoinTokenIds port) in SQLite, so a restart of the host
// does not reopen the replay window of a token that was already used.

import type { JoinTokenIds } from '../telehealth/join-token.js';
import type { Db } from './database.js';

export class SqliteJoinTokenIds implements JoinTokenIds {
  private readonly insert;
  private readonly purge;

  constructor(db: Db) {
    // One INSERT, so two sockets presenting the same token at once cannot both claim it.
    this.insert = db.prepare('INSERT INTO telehealth_join_jti (jti, expires_at) VALUES (?, ?) ON CONFLICT DO NOTHING');
    this.purge = db.prepare('DELETE FROM telehealth_join_jti WHERE expires_at <= ?');
  }

  async claim(jti: string, expiresAt: number): Promise<boolean> {
    return this.insert.run(jti, expiresAt).changes === 1;
  }

  async purgeExpired(now: number): Promise<number> {
    return this.purge.run(now).changes;
  }
}
