// The node's resource service over its database, built the same way by the running node and by
// the offline CLI commands that write into it (`careledger sync`): the intake pipeline with the
// R5 validator and known types, in front of the resource store with its vault and search index,
// so a resource stored by either is indistinguishable.

import { IntakePipeline } from '../intake/pipeline.js';
import { R5_RESOURCE_TYPES, validateR5 } from '../fhir-support.js';
import type { Db } from './database.js';
import type { ReceiptSource } from './ports.js';
import { ResourceStore } from './resource-store.js';
import { SearchIndexer } from './search-index.js';
import { Vault } from './vault.js';

export function openNodeStore(options: {
  db: Db;
  masterKey: Buffer;
  receipts: ReceiptSource;
  onJournaled?: (count: number) => void;
  /** The search index built and written on a thread of its own (default; a database file only). */
  indexThread?: boolean;
}): { service: IntakePipeline; vault: Vault } {
  const vault = new Vault(options.db, options.masterKey);
  const isKnownType = (type: string) => R5_RESOURCE_TYPES.has(type);
  const storage = new ResourceStore({
    db: options.db,
    vault,
    indexer: new SearchIndexer(options.masterKey),
    isKnownType,
    receipts: options.receipts,
    indexThread: options.indexThread ?? true,
    ...(options.onJournaled ? { onJournaled: options.onJournaled } : {}),
  });
  return { service: new IntakePipeline({ store: storage, validate: validateR5, isKnownType }), vault };
}
