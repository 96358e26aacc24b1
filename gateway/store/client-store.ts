// The registered SMART Backend Services clients in SQLite (auth's ClientStore port). Replacing
// or disabling a client revokes its access tokens in the same transaction.

import type { ClientJwks } from '../auth/client-jwks.js';
import type { ClientRecord, ClientStore, RegisteredClient } from '../auth/ports.js';
import type { Db } from './database.js';

interface ClientRow {
  client_id: string;
  name: string;
  jwks: string;
  scopes: string;
  enabled: number;
  created_at: string;
  updated_at: string;
}

export class SqliteClientStore implements ClientStore {
  private readonly statements;
  private readonly addOnce;
  private readonly replaceRevoking;
  private readonly disableRevoking;

  constructor(db: Db) {
    const statements = {
      selectOne: db.prepare<[string], ClientRow>('SELECT * FROM auth_client WHERE client_id = ?'),
      selectAll: db.prepare<[], ClientRow>('SELECT * FROM auth_client ORDER BY client_id'),
      insert: db.prepare(
        `INSERT INTO auth_client (client_id, name, jwks, scopes, enabled, created_at, updated_at)
         VALUES (@client_id, @name, @jwks, @scopes, 1, @at, @at)`,
      ),
      update: db.prepare(
        `UPDATE auth_client SET name = @name, jwks = @jwks, scopes = @scopes, enabled = 1, updated_at = @at
         WHERE client_id = @client_id`,
      ),
      setDisabled: db.prepare('UPDATE auth_client SET enabled = 0, updated_at = ? WHERE client_id = ?'),
      revokeTokens: db.prepare('DELETE FROM auth_access_token WHERE client_id = ?'),
    };
    this.statements = statements;
    this.addOnce = db.transaction((row: ReturnType<typeof toRow>): boolean => {
      if (statements.selectOne.get(row.client_id)) return false;
      statements.insert.run(row);
      return true;
    });
    this.replaceRevoking = db.transaction((row: ReturnType<typeof toRow>): void => {
      if (!statements.selectOne.get(row.client_id)) {
        statements.insert.run(row);
        return;
      }
      statements.update.run(row);
      statements.revokeTokens.run(row.client_id);
    });
    this.disableRevoking = db.transaction((clientId: string, at: string): boolean => {
      const changed = statements.setDisabled.run(at, clientId).changes > 0;
      if (changed) statements.revokeTokens.run(clientId);
      return changed;
    });
  }

  async get(clientId: string): Promise<RegisteredClient | undefined> {
    const row = this.statements.selectOne.get(clientId);
    return row && toClient(row);
  }

  async list(): Promise<RegisteredClient[]> {
    return this.statements.selectAll.all().map(toClient);
  }

  async add(client: ClientRecord, at: string): Promise<boolean> {
    return this.addOnce(toRow(client, at));
  }

  async replace(client: ClientRecord, at: string): Promise<void> {
    this.replaceRevoking(toRow(client, at));
  }

  async disable(clientId: string, at: string): Promise<boolean> {
    return this.disableRevoking(clientId, at);
  }
}

function toRow(client: ClientRecord, at: string) {
  return { client_id: client.clientId, name: client.name, jwks: JSON.stringify(client.jwks), scopes: client.scopes.join(' '), at };
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
