// The node's ResourceStore over its database, built the same way by the running node and by the
// offline CLI commands that write into it (`careledger sync`): same vault, search index, R5
// validation and known types, so a resource stored by either is indistinguishable.

import { R5_RESOURCE_TYPES, validateR5 } from '../fhir-support.js';
import type { Db } from './database.js';
import { ResourceStore, type ReceiptSource } from './resource-store.js';
import { SearchIndexer } from './search-index.js';
import { Vault } from './vault.js';

export function openNodeStore(options: {
  db: Db;
  masterKey: Buffer;
  receipts: ReceiptSource;
  onJournaled?: (count: number) => void;
}): { store: ResourceStore; vault: Vault } {
  const vault = new Vault(options.db, options.masterKey);
  const store = new ResourceStore({
    db: options.db,
    vault,
    indexer: new SearchIndexer(options.masterKey),
    validate: validateR5,
    isKnownType: (type) => R5_RESOURCE_TYPES.has(type),
    receipts: options.receipts,
    ...(options.onJournaled ? { onJournaled: options.onJournaled } : {}),
  });
  return { store, vault };
}
