// Remembers the `jti` of every client assertion the token endpoint accepted, in SQLite so a
// restart does not reopen the replay window (SMART client-confidential-asymmetric: a jti must not
// be accepted twice from the same issuer while the assertion is valid).

import type { Database } from 'better-sqlite3';
import { ensureAuthSchema } from './auth-schema.js';

export class AssertionReplayGuard {
  private readonly insert;
  private readonly purge;

  constructor(db: Database) {
    ensureAuthSchema(db);
    this.insert = db.prepare(
      'INSERT INTO auth_assertion_jti (client_id, jti, expires_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
    );
    this.purge = db.prepare('DELETE FROM auth_assertion_jti WHERE expires_at <= ?');
  }

  /**
   * Records the jti; false if it was already recorded. Atomic (one INSERT), so two concurrent
   * requests with the same assertion cannot both pass.
   */
  claim(clientId: string, jti: string, expiresAt: number): boolean {
    return this.insert.run(clientId, jti, expiresAt).changes === 1;
  }

  /** Forgets ids whose assertions have expired; an expired assertion is refused before its jti is checked. */
  purgeExpired(now: number): number {
    return this.purge.run(now).changes;
  }
}
