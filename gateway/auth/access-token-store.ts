// Opaque access tokens: 256 random bits handed to the client, only the SHA-256 of it stored
// (AccessTokenRecords) with the client and the granted scopes. Checking one is a hash and one
// lookup, and a restart loses nothing.

import { createHash, randomBytes } from 'node:crypto';
import type { AccessTokenRecords } from './ports.js';

export interface IssuedAccessToken {
  accessToken: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

export type AccessTokenLookup =
  | { status: 'active'; clientId: string; scopes: string[]; expiresAt: number }
  | { status: 'expired' }
  | { status: 'unknown' };

/** A recognisable prefix lets secret scanners find leaked tokens; it carries no meaning here. */
const TOKEN_PREFIX = 'clat_';
const TOKEN_SHAPE = /^clat_[A-Za-z0-9_-]{43}$/;

export class AccessTokenStore {
  constructor(private readonly records: AccessTokenRecords) {}

  async issue(clientId: string, scopes: readonly string[], now: number, lifetimeMs: number): Promise<IssuedAccessToken> {
    const accessToken = TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const expiresAt = now + lifetimeMs;
    await this.records.add({ tokenHash: hashToken(accessToken), clientId, scopes, issuedAt: now, expiresAt });
    return { accessToken, expiresAt };
  }

  /** Disabled clients' tokens are unknown: the records only answer for enabled clients. */
  lookup(accessToken: string, now: number): AccessTokenLookup {
    if (!TOKEN_SHAPE.test(accessToken)) return { status: 'unknown' };
    const found = this.records.find(hashToken(accessToken));
    if (!found) return { status: 'unknown' };
    if (found.expiresAt <= now) return { status: 'expired' };
    return { status: 'active', clientId: found.clientId, scopes: found.scopes, expiresAt: found.expiresAt };
  }

  purgeExpired(now: number): Promise<number> {
    return this.records.purgeExpired(now);
  }
}

function hashToken(accessToken: string): Buffer {
  return createHash('sha256').update(accessToken).digest();
}
