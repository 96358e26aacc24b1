// Access tokens in SQLite (auth's AccessTokenRecords port): the SHA-256 of each token with its
// client, scopes and expiry. Checking one is an indexed lookup; revoking is a DELETE.

import type { AccessTokenRecord, AccessTokenRecords } from '../auth/ports.js';
import type { Db } from './database.js';

interface TokenRow {
  client_id: string;
  scope: string;
  expires_at: number;
}

export class SqliteTokenStore implements AccessTokenRecords {
  private readonly statements;

  constructor(db: Db) {
    this.statements = {
      insert: db.prepare('INSERT INTO auth_access_token (token_hash, client_id, scope, issued_at, expires_at) VALUES (?, ?, ?, ?, ?)'),
      // The join makes a disabled client's tokens stop working at once, even before they are deleted.
      select: db.prepare<[Buffer], TokenRow>(
        `SELECT t.client_id, t.scope, t.expires_at FROM auth_access_token t
         JOIN auth_client c ON c.client_id = t.client_id AND c.enabled = 1
         WHERE t.token_hash = ?`,
      ),
      purge: db.prepare('DELETE FROM auth_access_token WHERE expires_at <= ?'),
    };
  }

  async add(token: AccessTokenRecord): Promise<void> {
    this.statements.insert.run(token.tokenHash, token.clientId, token.scopes.join(' '), token.issuedAt, token.expiresAt);
  }

  find(tokenHash: Buffer): { clientId: string; scopes: string[]; expiresAt: number } | undefined {
    const row = this.statements.select.get(tokenHash);
    return row && { clientId: row.client_id, scopes: row.scope.split(' '), expiresAt: row.expires_at };
  }

  async purgeExpired(now: number): Promise<number> {
    return this.statements.purge.run(now).changes;
  }
}
