// What the authorization server keeps, as narrow interfaces (SQLite implementations in
// gateway/store: client-store.ts, token-store.ts, assertion-id-store.ts; openAuthStores builds
// them). Everything returns a Promise, so a store on another machine fits behind them, except the
// access token lookup: it runs on every request, behind the synchronous `request.principal`, and
// stays one indexed read (a remote store answers it from a cache of live tokens).

import type { ClientJwks } from './client-jwks.js';

export interface RegisteredClient {
  clientId: string;
  name: string;
  jwks: ClientJwks;
  scopes: string[];
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
}

/** A validated registration, as stored. */
export interface ClientRecord {
  clientId: string;
  name: string;
  jwks: ClientJwks;
  scopes: string[];
}

export interface ClientStore {
  get(clientId: string): Promise<RegisteredClient | undefined>;
  /** Ordered by client id. */
  list(): Promise<RegisteredClient[]>;
  /** Adds the client, enabled; false (and nothing changed) when its id is already registered. */
  add(client: ClientRecord, at: string): Promise<boolean>;
  /** Adds or replaces the client, enabled, and revokes every access token issued to it before. */
  replace(client: ClientRecord, at: string): Promise<void>;
  /** Disables the client and revokes its access tokens; false when no such client exists. */
  disable(clientId: string, at: string): Promise<boolean>;
}

/** An access token as stored: its SHA-256, never the token. */
export interface AccessTokenRecord {
  tokenHash: Buffer;
  clientId: string;
  scopes: readonly string[];
  /** Epoch milliseconds. */
  issuedAt: number;
  expiresAt: number;
}

export interface AccessTokenRecords {
  add(token: AccessTokenRecord): Promise<void>;
  /** The token's grant while its client is enabled, expired or not; undefined otherwise. */
  find(tokenHash: Buffer): { clientId: string; scopes: string[]; expiresAt: number } | undefined;
  /** Deletes tokens expired at `now`; returns how many. */
  purgeExpired(now: number): Promise<number>;
}

export interface AssertionIdRecords {
  /** Records the jti; false if this client's jti was recorded already. Atomic. */
  claim(clientId: string, jti: string, expiresAt: number): Promise<boolean>;
  /** Deletes ids whose assertions expired at `now`; returns how many. */
  purgeExpired(now: number): Promise<number>;
}

export interface AuthStores {
  clients: ClientStore;
  tokens: AccessTokenRecords;
  assertionIds: AssertionIdRecords;
}
