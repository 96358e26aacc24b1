// Opaque access tokens: 256 random bits handed to the client, SHA-256 of it stored in SQLite
// with the client and the granted scopes. Checking one is a hash and an indexed lookup, revoking
// one (or all of a client's) is a DELETE, and a restart loses nothing.

import { createHash, randomBytes } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { ensureAuthSchema } from './auth-schema.js';

export interface IssuedAccessToken {
  accessToken: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

export type AccessTokenLookup =
  | { status: 'active'; clientId: string; scopes: string[]; expiresAt: number }
  | { status: 'expired' }
  | { status: 'unknown' };

interface TokenRow {
  client_id: string;
  scope: string;
  expires_at: number;
}

/** A recognisable prefix lets secret scanners find leaked tokens; it carries no meaning here. */
const TOKEN_PREFIX = 'clat_';
const TOKEN_SHAPE = /^clat_[A-Za-z0-9_-]{43}$/;

export class AccessTokenStore {
  private readonly insert;
  private readonly select;
  private readonly purge;

  constructor(db: Database) {
    ensureAuthSchema(db);
    this.insert = db.prepare(
      'INSERT INTO auth_access_token (token_hash, client_id, scope, issued_at, expires_at) VALUES (?, ?, ?, ?, ?)',
    );
    // The join makes a disabled client's tokens stop working at once, even before they are deleted.
    this.select = db.prepare<[Buffer], TokenRow>(
      `SELECT t.client_id, t.scope, t.expires_at FROM auth_access_token t
       JOIN auth_client c ON c.client_id = t.client_id AND c.enabled = 1
       WHERE t.token_hash = ?`,
    );
    this.purge = db.prepare('DELETE FROM auth_access_token WHERE expires_at <= ?');
  }

  issue(clientId: string, scopes: readonly string[], now: number, lifetimeMs: number): IssuedAccessToken {
    const accessToken = TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const expiresAt = now + lifetimeMs;
    this.insert.run(hashToken(accessToken), clientId, scopes.join(' '), now, expiresAt);
    return { accessToken, expiresAt };
  }

  lookup(accessToken: string, now: number): AccessTokenLookup {
    if (!TOKEN_SHAPE.test(accessToken)) return { status: 'unknown' };
    const row = this.select.get(hashToken(accessToken));
    if (!row) return { status: 'unknown' };
    if (row.expires_at <= now) return { status: 'expired' };
    return { status: 'active', clientId: row.client_id, scopes: row.scope.split(' '), expiresAt: row.expires_at };
  }

  purgeExpired(now: number): number {
    return this.purge.run(now).changes;
  }
}

function hashToken(accessToken: string): Buffer {
  return createHash('sha256').update(accessToken).digest();
}
