// The EHR adapters' stores over the node's SQLite database, as prepareAdapters takes them
// (gateway/adapters/node-adapters.ts, AdapterStores). Bulk imports keep their progress in the
// same database but run from the CLI: `careledger sync bulk` opens BulkImportJobStore itself.

import type { Db } from './database.js';
import { openExportStorage } from './export-job-store.js';
import { LiveResourceIndex } from './live-resource-index.js';
import { SubscriptionStateStore } from './subscription-state-store.js';
import { SyncCursorStore } from './sync-cursor-store.js';

export function openAdapterStores(db: Db, masterKey: Buffer) {
  const exports = openExportStorage(db, masterKey);
  return {
    exportJobs: exports.jobs,
    exportVault: exports.vault,
    liveIds: new LiveResourceIndex(db),
    syncCursors: new SyncCursorStore(db),
    subscriptionStates: new SubscriptionStateStore(db),
  };
}
