import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { leafHash, resourceDigest, versionKey } from '../crypto/digest.js';
import { openDatabase, type Db } from './database.js';
import { ResourceStore } from './resource-store.js';
import { SearchIndexer } from './search-index.js';
import type { FhirResource } from './service.js';
import { Vault } from './vault.js';

// The store behind the intake pipeline: it stores what it is given. Validation and the digest are
// the pipeline's (intake/pipeline.test.ts covers the whole path).
describe('ResourceStore: stores prepared writes', () => {
  let dir: string;
  let db: Db;
  let store: ResourceStore;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'careledger-resource-store-'));
    db = openDatabase(join(dir, 'node.db'));
    const masterKey = randomBytes(32);
    store = new ResourceStore({
      db,
      vault: new Vault(db, masterKey),
      indexer: new SearchIndexer(masterKey),
      isKnownType: () => true,
      receipts: { receipt: () => ({ status: 'pending', retryAfterSeconds: 1 }), provenanceFor: () => [] },
    });
  });
  afterEach(() => {
    db.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const prepared = (resource: FhirResource & { id: string }) => ({
    op: { kind: 'update' as const, type: resource.resourceType, id: resource.id, resource },
    type: resource.resourceType,
    id: resource.id,
    content: { resource, digest: resourceDigest(resource) },
  });

  it('does not validate: content no validator would pass is stored as given', async () => {
    const odd = { resourceType: 'Patient', id: 'p1', notAnElement: true };
    const [result] = await store.write([prepared(odd)], 'test');
    expect(result).toMatchObject({ outcome: 'created', versionId: '1' });
    expect((await store.read('Patient', 'p1')).resource).toMatchObject({ notAnElement: true, meta: { versionId: '1' } });
  });

  it('journals the salted leaf of the digest it was given, under the version it assigns', async () => {
    const first = { resourceType: 'Patient', id: 'p1', gender: 'female' };
    const second = { ...first, gender: 'male' };
    await store.write([prepared(first)], 'test');
    await store.write([prepared(second)], 'hl7v2');
    const rows = db.prepare('SELECT version_id, digest, salt, leaf, source FROM journal ORDER BY seq').all() as Array<{
      version_id: number;
      digest: Buffer;
      salt: Buffer;
      leaf: Buffer;
      source: string;
    }>;
    expect(rows.map((row) => [row.version_id, row.source])).toEqual([
      [1, 'test'],
      [2, 'hl7v2'],
    ]);
    expect(rows[1]!.digest.equals(resourceDigest(second))).toBe(true);
    expect(rows[1]!.leaf.equals(leafHash(rows[1]!.salt, versionKey('Patient', 'p1', '2'), rows[1]!.digest))).toBe(true);
    expect(rows[0]!.salt.equals(rows[1]!.salt)).toBe(false);
  });
});
