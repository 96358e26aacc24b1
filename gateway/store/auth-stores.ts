// The authorization server's stores over the node's database, built in one call. The auth tables
// come with the database (schema/auth.ts, applied by openDatabase).

import type { AuthStores } from '../auth/ports.js';
import { SqliteAssertionIdStore } from './assertion-id-store.js';
import { SqliteClientStore } from './client-store.js';
import type { Db } from './database.js';
import { SqliteTokenStore } from './token-store.js';

export function openAuthStores(db: Db): AuthStores {
  return { clients: new SqliteClientStore(db), tokens: new SqliteTokenStore(db), assertionIds: new SqliteAssertionIdStore(db) };
}
