// For the anchoring unit tests: a node database in a temp dir and resource versions written into
// it the way the resource store writes them (journal row with the salted leaf, version row), so
// the batcher, anchorer and receipt service run on real rows without the HTTP and intake layers.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resourceDigest } from '../../gateway/crypto/digest.js';
import { hashVersion } from '../../gateway/intake/hashing.js';
import { openDatabase, type Db } from '../../gateway/store/database.js';
import { SqliteJournal } from '../../gateway/store/journal-store.js';
import { SqliteVersionStore } from '../../gateway/store/version-store.js';

export interface TempNodeDatabase {
  db: Db;
  path: string;
  /** Closes and opens the same file again, as a restarted node would. */
  reopen(): Db;
  remove(): void;
}

export function tempNodeDatabase(): TempNodeDatabase {
  const dir = mkdtempSync(join(tmpdir(), 'careledger-anchoring-'));
  const path = join(dir, 'careledger.db');
  const handle: TempNodeDatabase = {
    db: openDatabase(path),
    path,
    reopen() {
      handle.db.close();
      handle.db = openDatabase(path);
      return handle.db;
    },
    remove() {
      if (handle.db.open) handle.db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return handle;
}

export interface SeededVersion {
  type: string;
  id: string;
  versionId: number;
  journalSeq: number;
  leaf: Buffer;
}

/** Journals version 1 of `count` Observations `${prefix}-0`..., received at `receivedAt` (epoch ms). */
export function journalObservations(db: Db, count: number, prefix: string, receivedAt = Date.now()): SeededVersion[] {
  const journal = new SqliteJournal(db);
  const versions = new SqliteVersionStore(db);
  const seeded: SeededVersion[] = [];
  db.transaction(() => {
    for (let index = 0; index < count; index++) {
      const type = 'Observation';
      const id = `${prefix}-${index}`;
      const digest = resourceDigest({ resourceType: type, id, status: 'final' });
      const { salt, leaf } = hashVersion(type, id, '1', digest);
      const journalSeq = journal.append({ type, id, versionId: 1, digest, salt, leaf, source: 'test', receivedAt });
      versions.put(type, id, {
        versionId: 1,
        lastUpdated: new Date(receivedAt).toISOString(),
        deleted: false,
        compartment: 'node',
        sealed: null,
        digest,
        journalSeq,
      });
      seeded.push({ type, id, versionId: 1, journalSeq, leaf });
    }
  })();
  return seeded;
}
