// The backend clients (EHRs, integration engines) allowed to ask this node for access tokens,
// kept in the node's SQLite database. A client is its id, a display name, the public keys it
// signs token requests with and the scopes it may be granted.

import { randomUUID } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { ensureAuthSchema } from './auth-schema.js';
import { ClientRegistrationError, validateClientJwks, type ClientJwks } from './client-jwks.js';
import { parseGrantableScope } from './smart-scopes.js';

export interface RegisteredClient {
  clientId: string;
  name: string;
  jwks: ClientJwks;
  scopes: string[];
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface ClientRegistration {
  /** Defaults to a random UUID. */
  clientId?: string;
  name: string;
  /** A JWK Set of public keys: RSA for RS384 or P-384 EC for ES384, each with a unique kid. */
  jwks: unknown;
  /** The most the client may be granted, e.g. `["system/*.rs"]` or `["system/Patient.read"]`. */
  scopes: string[];
}

export interface RegisterOptions {
  /** Replace an existing registration (key rotation, scope change) and re-enable it. */
  replace?: boolean;
}

interface ClientRow {
  client_id: string;
  name: string;
  jwks: string;
  scopes: string;
  enabled: number;
  created_at: string;
  updated_at: string;
}

const CLIENT_ID = /^[A-Za-z0-9._~:-]{1,128}$/;

export class ClientRegistry {
  private readonly selectOne;
  private readonly selectAll;
  private readonly insert;
  private readonly update;
  private readonly setDisabled;
  private readonly revokeTokens;

  constructor(
    private readonly db: Database,
    private readonly now: () => number = Date.now,
  ) {
    ensureAuthSchema(db);
    this.selectOne = db.prepare<[string], ClientRow>('SELECT * FROM auth_client WHERE client_id = ?');
    this.selectAll = db.prepare<[], ClientRow>('SELECT * FROM auth_client ORDER BY client_id');
    this.insert = db.prepare(
      `INSERT INTO auth_client (client_id, name, jwks, scopes, enabled, created_at, updated_at)
       VALUES (@client_id, @name, @jwks, @scopes, 1, @at, @at)`,
    );
    this.update = db.prepare(
      `UPDATE auth_client SET name = @name, jwks = @jwks, scopes = @scopes, enabled = 1, updated_at = @at
       WHERE client_id = @client_id`,
    );
    this.setDisabled = db.prepare('UPDATE auth_client SET enabled = 0, updated_at = ? WHERE client_id = ?');
    this.revokeTokens = db.prepare('DELETE FROM auth_access_token WHERE client_id = ?');
  }

  /** Validates and stores a client. Throws ClientRegistrationError with a one-line reason. */
  registerClient(registration: ClientRegistration, options: RegisterOptions = {}): RegisteredClient {
    const clientId = registration.clientId ?? randomUUID();
    if (!CLIENT_ID.test(clientId)) {
      throw new ClientRegistrationError('clientId must be 1-128 characters of A-Z a-z 0-9 . _ ~ : -');
    }
    const name = registration.name.trim();
    if (name.length === 0) throw new ClientRegistrationError('name must not be empty');
    const jwks = validateClientJwks(registration.jwks);
    const scopes = validateAllowedScopes(registration.scopes);
    const row = {
      client_id: clientId,
      name,
      jwks: JSON.stringify(jwks),
      scopes: scopes.join(' '),
      at: new Date(this.now()).toISOString(),
    };
    this.db.transaction(() => {
      if (!this.selectOne.get(clientId)) {
        this.insert.run(row);
        return;
      }
      if (!options.replace) {
        throw new ClientRegistrationError(`client ${clientId} is already registered (use replace to rotate its keys)`);
      }
      this.update.run(row);
      // New keys or narrower scopes must not leave tokens minted under the old registration alive.
      this.revokeTokens.run(clientId);
    })();
    return this.getClient(clientId) as RegisteredClient;
  }

  getClient(clientId: string): RegisteredClient | undefined {
    const row = this.selectOne.get(clientId);
    return row ? toClient(row) : undefined;
  }

  listClients(): RegisteredClient[] {
    return this.selectAll.all().map(toClient);
  }

  /** Disables the client and revokes its live access tokens. False if no such client. */
  disableClient(clientId: string): boolean {
    return this.db.transaction(() => {
      const changed = this.setDisabled.run(new Date(this.now()).toISOString(), clientId).changes > 0;
      if (changed) this.revokeTokens.run(clientId);
      return changed;
    })();
  }
}

function validateAllowedScopes(scopes: string[]): string[] {
  if (scopes.length === 0) throw new ClientRegistrationError('scopes must name at least one scope');
  for (const scope of scopes) {
    const parsed = parseGrantableScope(scope);
    if (!parsed) {
      throw new ClientRegistrationError(
        `scope "${scope}" is not supported: use system/<Type|*>.<cruds subset> or system/<Type|*>.<read|write|*>, without a ?query`,
      );
    }
  }
  return [...new Set(scopes)];
}

function toClient(row: ClientRow): RegisteredClient {
  return {
    clientId: row.client_id,
    name: row.name,
    jwks: JSON.parse(row.jwks) as ClientJwks,
    scopes: row.scopes.split(' '),
    enabled: row.enabled === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
