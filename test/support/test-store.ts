// A real node store for adapter tests and child processes: the intake pipeline with the R5
// validator in front of ResourceStore over a SQLite file with the vault and the search indexer.
// Reopening the same file with the same master key is how crash tests restart "the node".

import { join } from 'node:path';
import { IntakePipeline } from '../../gateway/intake/pipeline.js';
import { openDatabase, type Db } from '../../gateway/store/database.js';
import { ResourceStore } from '../../gateway/store/resource-store.js';
import { SearchIndexer } from '../../gateway/store/search-index.js';
import type { FhirResource } from '../../gateway/store/service.js';
import { Vault } from '../../gateway/store/vault.js';
import { validateR5 } from '../../fhir-adapters/validation/index.js';

export const TEST_NODE_TYPES = [
  'Patient',
  'Observation',
  'Encounter',
  'DiagnosticReport',
  'Condition',
  'Group',
  'Organization',
  'Practitioner',
  'Procedure',
  'MedicationRequest',
  'Provenance',
] as const;

export interface TestNode {
  db: Db;
  store: IntakePipeline;
  /** The store under the pipeline. */
  resources: ResourceStore;
  dbPath: string;
  close(): void;
}

/**
 * `indexThread`: the search index written by its own thread, as in the node (index-writer.ts).
 * `close()` closes the database first, so index rows still pending are left as a crash leaves them.
 */
export function openTestNode(
  dir: string,
  masterKey: Buffer,
  options: { indexThread?: boolean; indexFlush?: { resources?: number; delayMs?: number } } = {},
): TestNode {
  const dbPath = join(dir, 'node.db');
  const db = openDatabase(dbPath);
  const known = new Set<string>(TEST_NODE_TYPES);
  const isKnownType = (type: string) => known.has(type);
  const resources = new ResourceStore({
    db,
    vault: new Vault(db, masterKey),
    indexer: new SearchIndexer(masterKey),
    isKnownType,
    receipts: { receipt: () => ({ status: 'pending', retryAfterSeconds: 1 }), provenanceFor: () => [] },
    ...options,
  });
  const store = new IntakePipeline({
    store: resources,
    validate: (resource: FhirResource) => validateR5(resource),
    isKnownType,
  });
  return {
    db,
    store,
    resources,
    dbPath,
    close: () => {
      db.close();
      resources.close();
    },
  };
}

export function journalCount(db: Db, source?: string): number {
  const row = (source
    ? db.prepare('SELECT COUNT(*) AS n FROM journal WHERE source = ?').get(source)
    : db.prepare('SELECT COUNT(*) AS n FROM journal').get()) as { n: number };
  return row.n;
}

/** Live resources as `Type/id` -> hex digest (canonical content, meta and text excluded). */
export function currentDigests(db: Db): Map<string, string> {
  const rows = db.prepare('SELECT type, id, digest FROM resource_current WHERE deleted = 0').all() as Array<{ type: string; id: string; digest: Buffer }>;
  return new Map(rows.map((row) => [`${row.type}/${row.id}`, row.digest.toString('hex')]));
}
