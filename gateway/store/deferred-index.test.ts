import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openTestNode, type TestNode } from '../../test/support/test-store.js';
import { flushSearchIndex, INDEX_FLUSH_DELAY_MS, INDEX_THROUGH_SEQ_KEY } from './deferred-index.js';
import { readIndexState } from './search-file.js';
import { searchParam } from './search-param-name.js';
import type { FhirResource } from './service.js';

// The search index written behind the group commit (deferred-index.ts): a search never misses an
// acknowledged write, conditional creates see writes of the same commit, rolled-back writes leave
// no rows, and rows still pending at a crash are written again from the journal at the next open.
const dirs: string[] = [];
const key = randomBytes(32);
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const modes = [
  { mode: 'on the calling thread (deferred-index.ts)', indexThread: false },
  { mode: 'by the index writer thread (index-writer.ts)', indexThread: true },
];

const patient = (id: string, family: string, mrn: string): FhirResource => ({
  resourceType: 'Patient',
  id,
  identifier: [{ system: 'urn:mrn', value: mrn }],
  name: [{ family }],
});

async function ids(node: TestNode, type: string, query: string): Promise<string[]> {
  const params = [...new URLSearchParams(query)].map(([name, value]) => searchParam(name, value));
  return (await node.store.search({ type, params, count: 100, offset: 0, summaryCount: false })).resources.map((r) => r.id!).sort();
}

function rowCount(node: TestNode): number {
  flushSearchIndex(node.db);
  return (node.db.prepare('SELECT (SELECT COUNT(*) FROM search_index) + (SELECT COUNT(*) FROM search_date) + (SELECT COUNT(*) FROM search_quantity) AS n').get() as { n: number }).n;
}

describe.each(modes)('the search index written behind the group commit, $mode', ({ indexThread }) => {
  function freshNode(delayMs = 5_000): { node: TestNode; dir: string } {
    const dir = mkdtempSync(join(tmpdir(), 'careledger-deferred-index-'));
    dirs.push(dir);
    // A long delay: the crash test below stops the node before a batch could have been written.
    return { node: openTestNode(dir, key, { indexThread, indexFlush: { delayMs } }), dir };
  }

  it('answers a search right after the write is acknowledged, before any flush was scheduled to run', async () => {
    const { node } = freshNode();
    await node.store.update('Patient', 'a', patient('a', 'Abernathy', 'M-1'));
    expect(await ids(node, 'Patient', 'family=aber')).toEqual(['a']);
    await node.store.update('Patient', 'a', patient('a', 'Zimmer', 'M-1'));
    expect(await ids(node, 'Patient', 'family=aber')).toEqual([]);
    expect(await ids(node, 'Patient', 'family=zim')).toEqual(['a']);
    node.close();
  });

  it('a conditional create sees a write of the same group commit', async () => {
    const { node } = freshNode();
    // Both are queued in one turn of the event loop, so they share one group commit.
    const [first, second] = await Promise.all([
      node.store.create(patient('c1', 'Carver', 'M-7')),
      node.store.create({ ...patient('c2', 'Carver', 'M-7'), id: undefined } as FhirResource, { ifNoneExist: 'identifier=urn:mrn|M-7' }),
    ]);
    expect(first.outcome).toBe('created');
    expect(second.outcome).toBe('existing');
    expect(second.resource.id).toBe(first.resource.id);
    expect(await ids(node, 'Patient', 'identifier=urn:mrn|M-7')).toEqual([first.resource.id]);
    node.close();
  });

  it('a write rolled back with its group commit leaves no rows, and its neighbours keep theirs', async () => {
    const { node } = freshNode();
    await node.store.update('Patient', 'dup', patient('dup', 'Original', 'M-2'));
    const before = rowCount(node);
    // One failing unit (an update whose If-Match is not the current version) sends the commit
    // through its one-by-one path, after the conditional create has flushed inside it.
    const results = await Promise.allSettled([
      node.store.update('Patient', 'ok-1', patient('ok-1', 'Okafor', 'M-3')),
      node.store.create({ ...patient('x', 'Okafor', 'M-3'), id: undefined } as FhirResource, { ifNoneExist: 'identifier=urn:mrn|M-3' }),
      node.store.update('Patient', 'dup', patient('dup', 'Impostor', 'M-9'), { ifMatch: '7' }),
      node.store.update('Patient', 'ok-2', patient('ok-2', 'Okonkwo', 'M-4')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseFulfilledResult<{ outcome: string }>).value.outcome).toBe('existing');
    expect(await ids(node, 'Patient', 'family=impostor')).toEqual([]);
    expect(await ids(node, 'Patient', 'identifier=urn:mrn|M-9')).toEqual([]);
    expect(await ids(node, 'Patient', 'family=ok')).toEqual(['ok-1', 'ok-2']);
    expect(await ids(node, 'Patient', 'family=original')).toEqual(['dup']);
    // Exactly the rows of the same writes made one at a time without the failure beside them.
    const { node: plain } = freshNode();
    await plain.store.update('Patient', 'dup', patient('dup', 'Original', 'M-2'));
    await plain.store.update('Patient', 'ok-1', patient('ok-1', 'Okafor', 'M-3'));
    await plain.store.update('Patient', 'ok-2', patient('ok-2', 'Okonkwo', 'M-4'));
    expect(rowCount(node)).toBe(rowCount(plain));
    expect(rowCount(node)).toBeGreaterThan(before);
    plain.close();
    node.close();
  });

  it('rows still pending at a crash are written from the journal at the next open, old versions removed', async () => {
    const { node, dir } = freshNode();
    await node.store.update('Patient', 'p1', patient('p1', 'Before', 'M-5'));
    await node.store.update('Observation', 'o1', {
      resourceType: 'Observation',
      id: 'o1',
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '29463-7' }] },
      subject: { reference: 'Patient/p1' },
    });
    flushSearchIndex(node.db);
    const through = () => Number(readIndexState(node.db, INDEX_THROUGH_SEQ_KEY));
    const indexedThrough = through();
    // Acknowledged, then the process dies before the index batch is written.
    await node.store.update('Patient', 'p1', patient('p1', 'After', 'M-5'));
    await node.store.update('Patient', 'p2', patient('p2', 'Newcomer', 'M-6'));
    await node.store.delete('Observation', 'o1');
    expect(through()).toBe(indexedThrough);
    node.close();

    const reopened = openTestNode(dir, key, { indexThread });
    try {
      expect(await ids(reopened, 'Patient', 'family=before')).toEqual([]);
      expect(await ids(reopened, 'Patient', 'family=after')).toEqual(['p1']);
      expect(await ids(reopened, 'Patient', 'family=newcomer')).toEqual(['p2']);
      expect(await ids(reopened, 'Observation', 'code=29463-7')).toEqual([]);
      const end = (reopened.db.prepare('SELECT MAX(seq) AS seq FROM journal').get() as { seq: number }).seq;
      expect(Number(readIndexState(reopened.db, INDEX_THROUGH_SEQ_KEY))).toBe(end);
    } finally {
      reopened.close();
    }
  });

  it('writes its rows within the flush delay when intake stops, without a search asking', async () => {
    const { node } = freshNode(INDEX_FLUSH_DELAY_MS);
    await node.store.update('Patient', 'idle', patient('idle', 'Idle', 'M-8'));
    const count = () => (node.db.prepare("SELECT COUNT(*) AS n FROM search_index WHERE id = 'idle'").get() as { n: number }).n;
    expect(count()).toBe(0);
    // The thread's first batch also waits for the thread to start (~0.4 s: it loads the catalog).
    const deadline = Date.now() + INDEX_FLUSH_DELAY_MS + (indexThread ? 5_000 : 150);
    while (count() === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
    expect(count()).toBeGreaterThan(0);
    node.close();
  });
});
