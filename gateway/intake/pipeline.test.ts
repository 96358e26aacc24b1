import { flushSearchIndex } from '../store/deferred-index.js';
import { OperationOutcomeError } from '@medplum/core';
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../store/database.js';
import { ResourceStore, type ResourceStoreOptions } from '../store/resource-store.js';
import { SearchIndexer } from '../store/search-index.js';
import type { FhirResource } from '../store/service.js';
import { Vault } from '../store/vault.js';
import { WalSync } from '../store/wal-sync.js';
import { IntakePipeline } from './pipeline.js';

const KNOWN = new Set(['Patient', 'Observation', 'Encounter', 'Organization', 'Provenance']);

// Validation has its own tests; here it only needs to reject something recognisable.
function validate(resource: FhirResource): OperationOutcomeIssue[] {
  return resource.invalid ? [{ severity: 'error', code: 'structure', diagnostics: 'unknown element "invalid"' }] : [];
}

function counts(db: Db): Record<string, number> {
  // Index rows of acknowledged writes follow in batches (deferred-index.ts): counted once written.
  flushSearchIndex(db);
  const tables = ['resource_versions', 'resource_current', 'search_index', 'journal', 'data_keys'];
  return Object.fromEntries(tables.map((t) => [t, (db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n]));
}

const patient = (id?: string, family = 'Doe'): FhirResource => ({
  resourceType: 'Patient',
  ...(id ? { id } : {}),
  identifier: [{ system: 'urn:mrn', value: 'MRN-1' }],
  name: [{ family }],
  birthDate: '1970-01-01',
});

function pipelineOver(db: Db, masterKey: Buffer, wal?: ResourceStoreOptions['wal']): IntakePipeline {
  const isKnownType = (type: string) => KNOWN.has(type);
  const store = new ResourceStore({
    db,
    vault: new Vault(db, masterKey),
    indexer: new SearchIndexer(masterKey),
    isKnownType,
    receipts: { receipt: () => ({ status: 'pending', retryAfterSeconds: 1 }), provenanceFor: () => [] },
    ...(wal ? { wal } : {}),
  });
  return new IntakePipeline({ store, validate, isKnownType });
}

describe('the intake pipeline over the SQLite ResourceStore', () => {
  let dir: string;
  let db: Db;
  let store: IntakePipeline;
  let masterKey: Buffer;

  function open(): void {
    db = openDatabase(join(dir, 'node.db'));
    store = pipelineOver(db, masterKey);
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'careledger-store-'));
    masterKey = randomBytes(32);
    open();
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates, reads, versions and keeps history across a reopen', async () => {
    const created = await store.create(patient());
    expect(created.outcome).toBe('created');
    expect(created.versionId).toBe('1');
    const id = created.resource.id!;
    const updated = await store.update('Patient', id, { ...patient(id, 'Roe') });
    expect(updated).toMatchObject({ outcome: 'updated', versionId: '2' });
    db.close();
    open();
    expect((await store.read('Patient', id)).resource).toMatchObject({ name: [{ family: 'Roe' }], meta: { versionId: '2' } });
    expect((await store.vread('Patient', id, '1')).resource).toMatchObject({ name: [{ family: 'Doe' }] });
    expect((await store.history('Patient', id)).map((v) => v.versionId)).toEqual(['2', '1']);
  });

  it('treats identical content as unchanged: nothing new is journaled', async () => {
    const first = await store.update('Patient', 'p1', patient('p1'));
    const again = await store.update('Patient', 'p1', { ...patient('p1'), meta: { versionId: '77' }, text: { status: 'generated' } });
    expect(first.outcome).toBe('created');
    expect(again.outcome).toBe('unchanged');
    expect(counts(db).journal).toBe(1);
  });

  it('honours If-Match and update-as-create', async () => {
    await store.update('Patient', 'p1', patient('p1'));
    await expect(store.update('Patient', 'p1', patient('p1', 'X'), { ifMatch: '9' })).rejects.toMatchObject({
      outcome: { id: 'precondition-failed' },
    });
    await expect(store.update('Patient', 'p1', patient('p1', 'X'), { ifMatch: '1' })).resolves.toMatchObject({ versionId: '2' });
  });

  it('conditional create returns the single match and refuses several', async () => {
    const first = await store.create(patient(), { ifNoneExist: 'identifier=urn:mrn|MRN-1' });
    const second = await store.create(patient(), { ifNoneExist: 'identifier=urn:mrn|MRN-1' });
    expect(second.outcome).toBe('existing');
    expect(second.resource.id).toBe(first.resource.id);
    await store.create(patient());
    await expect(store.create(patient(), { ifNoneExist: 'identifier=MRN-1' })).rejects.toMatchObject({
      outcome: { id: 'precondition-failed' },
    });
  });

  it('deletes: 410 on read, tombstone anchored, history kept, update revives', async () => {
    await store.update('Patient', 'p1', patient('p1'));
    expect((await store.delete('Patient', 'p1')).versionId).toBe('2');
    await expect(store.read('Patient', 'p1')).rejects.toMatchObject({ outcome: { id: 'gone' } });
    expect((await store.delete('Patient', 'p1')).versionId).toBeNull();
    expect(counts(db).journal).toBe(2);
    expect((await store.update('Patient', 'p1', patient('p1'))).versionId).toBe('3');
  });

  it('rejects invalid input and leaves no row anywhere', async () => {
    await store.update('Patient', 'p0', patient('p0'));
    const before = counts(db);
    await expect(store.create({ ...patient(), invalid: true })).rejects.toBeInstanceOf(OperationOutcomeError);
    await expect(store.create({ resourceType: 'Nope' })).rejects.toMatchObject({ outcome: { id: 'not-found' } });
    await expect(store.update('Patient', 'bad id!', patient())).rejects.toBeInstanceOf(OperationOutcomeError);
    await expect(
      store.transaction([
        { kind: 'create', resource: patient() },
        { kind: 'create', resource: { ...patient(), invalid: true } },
      ]),
    ).rejects.toBeInstanceOf(OperationOutcomeError);
    expect(counts(db)).toEqual(before);
  });

  it('rolls a transaction back whole when a precondition fails inside it', async () => {
    await store.update('Patient', 'p1', patient('p1'));
    const before = counts(db);
    await expect(
      store.transaction([
        { kind: 'create', resource: { resourceType: 'Organization', name: 'A' } },
        { kind: 'update', type: 'Patient', id: 'p1', resource: patient('p1', 'Z'), ifMatch: '5' },
      ]),
    ).rejects.toMatchObject({ outcome: { id: 'precondition-failed' } });
    expect(counts(db)).toEqual(before);
  });

  it('searches by id, identifier (blind index), patient, lastUpdated with paging', async () => {
    await store.update('Patient', 'p1', patient('p1'));
    await store.update('Patient', 'p2', { ...patient('p2'), identifier: [{ system: 'urn:mrn', value: 'MRN-2' }] });
    for (let i = 0; i < 5; i++) {
      await store.update('Observation', `o${i}`, {
        resourceType: 'Observation',
        id: `o${i}`,
        status: 'final',
        code: { text: 'x' },
        subject: { reference: i < 3 ? 'Patient/p1' : 'Patient/p2' },
      });
    }
    const byIdentifier = await store.search({ type: 'Patient', params: [{ code: 'identifier', value: 'urn:mrn|MRN-2' }], count: 10, offset: 0, summaryCount: false });
    expect(byIdentifier.resources.map((r) => r.id)).toEqual(['p2']);
    const anySystem = await store.search({ type: 'Patient', params: [{ code: 'identifier', value: 'MRN-1,MRN-2' }], count: 10, offset: 0, summaryCount: false });
    expect(anySystem.total).toBe(2);
    const page = await store.search({ type: 'Observation', params: [{ code: 'patient', value: 'p1' }], count: 2, offset: 2, summaryCount: false });
    expect(page.total).toBe(3);
    expect(page.resources.map((r) => r.id)).toEqual(['o2']);
    const future = await store.search({ type: 'Observation', params: [{ code: '_lastUpdated', value: 'gt2999-01-01' }], count: 10, offset: 0, summaryCount: false });
    expect(future.total).toBe(0);
    const counted = await store.search({ type: 'Observation', params: [{ code: '_id', value: 'o1,o4' }], count: 10, offset: 0, summaryCount: true });
    expect(counted).toEqual({ total: 2, resources: [] });
    flushSearchIndex(db);
    const raw = db.prepare("SELECT value FROM search_index WHERE param = 'identifier'").all() as Array<{ value: string }>;
    expect(raw.some((row) => row.value.includes('MRN'))).toBe(false);
  });

  it('keeps resources encrypted at rest', async () => {
    await store.update('Patient', 'p1', patient('p1', 'Zyxwvutsrq'));
    db.pragma('wal_checkpoint(TRUNCATE)');
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(join(dir, 'node.db')).includes(Buffer.from('Zyxwvutsrq'))).toBe(false);
  });

  it('group-commits concurrent writes and gives each its own outcome', async () => {
    const writes = Array.from({ length: 500 }, (_, i) =>
      store.submit([{ resource: i === 7 ? { ...patient(`q${i}`), invalid: true } : patient(`q${i}`) }], { source: 'test' }),
    );
    const results = (await Promise.all(writes)).flat();
    expect(results.filter((r) => r.ok)).toHaveLength(499);
    expect(results[7]).toMatchObject({ ok: false, status: 400 });
    expect(counts(db).journal).toBe(499);
  });

  it('isolates a unit that fails inside a group commit from its neighbours', async () => {
    await store.update('Patient', 'p1', patient('p1'));
    const writes = [
      store.update('Patient', 'n1', patient('n1')),
      store.update('Patient', 'p1', patient('p1', 'Late'), { ifMatch: '7' }),
      store.update('Patient', 'n2', patient('n2')),
    ];
    const results = await Promise.allSettled(writes);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((await store.read('Patient', 'p1')).versionId).toBe('1');
    expect(counts(db).journal).toBe(3);
    expect((await store.read('Patient', 'n2')).resource).toMatchObject({ id: 'n2' });
  });

  it('shows a version only once its fsync is done, like the 201; reads of other resources do not wait', async () => {
    let hold = false;
    const held: Array<() => void> = [];
    const slow = pipelineOver(db, masterKey, new WalSync(db, (_fd, done) => (hold ? held.push(() => done(null)) : done(null))));
    const tick = () => new Promise((resolve) => setImmediate(resolve));
    await slow.update('Patient', 'other', patient('other'));
    await slow.update('Patient', 'p1', patient('p1'));

    hold = true;
    const settled: string[] = [];
    const track = <T>(name: string, promise: Promise<T>): Promise<T> =>
      promise.finally(() => {
        settled.push(name);
      });
    const writing = track('update', slow.update('Patient', 'p1', patient('p1', 'Roe')));
    const deleting = track('delete', slow.delete('Patient', 'gone'));
    for (let i = 0; i < 3; i++) await tick();
    // Committed (another connection's statements would see it), fsync not done: nobody heard 201.
    expect(held.length).toBe(1);
    expect((db.prepare("SELECT MAX(version_id) AS v FROM resource_versions WHERE id = 'p1'").get() as { v: number }).v).toBe(2);

    const byId = { type: 'Patient', params: [{ code: '_id', value: 'p1' }], count: 10, offset: 0, summaryCount: false };
    const reads = [
      track('read', slow.read('Patient', 'p1')),
      track('vread', slow.vread('Patient', 'p1', '2')),
      track('history', slow.history('Patient', 'p1')),
      track('search', slow.search(byId)),
      track('receipt', slow.receipt('Patient', 'p1', '2')),
    ];
    expect((await slow.read('Patient', 'other')).versionId).toBe('1');
    for (let i = 0; i < 3; i++) await tick();
    expect(settled).toEqual([]);

    hold = false;
    for (const release of held.splice(0)) release();
    const [read, vread, history, search] = await Promise.all(reads);
    await Promise.all([writing, deleting]);
    expect((read as { resource: FhirResource }).resource).toMatchObject({ name: [{ family: 'Roe' }], meta: { versionId: '2' } });
    expect((vread as { versionId: string }).versionId).toBe('2');
    expect((history as Array<{ versionId: string }>).map((v) => v.versionId)).toEqual(['2', '1']);
    expect((search as { resources: FhirResource[] }).resources.map((r) => r.meta?.versionId)).toEqual(['2']);
    slow.close();
  });
});
