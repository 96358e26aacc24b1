// The node's own store for CLI commands that write into it while the node is stopped
// (`careledger sync`): the database of $DATA_DIR, opened with the node's master key, locked so
// the node cannot start meanwhile. What they journal is anchored when the node next runs.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ReceiptService } from '../anchoring/receipt-service.js';
import type { NodeConfig } from '../config.js';
import { loadNodeKeys } from '../keys/node-keys.js';
import { lockDataDir } from '../store/data-dir-lock.js';
import { openDatabase, type Db } from '../store/database.js';
import { openNodeStore } from '../store/node-store.js';
import { flushSearchIndex } from '../store/deferred-index.js';
import { SqliteReceiptRecordStore } from '../store/receipt-record-store.js';
import type { IntakePipeline } from '../intake/pipeline.js';

export interface OfflineStore {
  db: Db;
  store: IntakePipeline;
  close(): void;
}

/** Throws an Error with a one-line message when the database is absent or a node holds it. */
export function openOfflineStore(config: NodeConfig): OfflineStore {
  const path = join(config.dataDir, 'careledger.db');
  if (!existsSync(path)) {
    throw new Error(`no node database at ${path}: set DATA_DIR to the node's data directory, or run "careledger start" once to create it`);
  }
  const lock = lockDataDir(config.dataDir, 'careledger sync');
  try {
    // The key that opened the vault, never a new one: a generated key could not read it back.
    const keys = loadNodeKeys({ dataDir: config.dataDir, ...config.secrets, allowGenerate: false });
    const db = openDatabase(path);
    const { service: store } = openNodeStore({ db, masterKey: keys.masterKey, receipts: new ReceiptService(new SqliteReceiptRecordStore(db), 1, config.orgId) });
    return {
      db,
      store,
      close() {
        // The search index rows still pending go in first (the next start would replay them).
        flushSearchIndex(db);
        db.close();
        store.close();
        lock.release();
      },
    };
  } catch (error) {
    lock.release();
    throw error;
  }
}
