import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openTestNode, type TestNode } from '../../test/support/test-store.js';
import { flushSearchIndex, INDEX_THROUGH_SEQ_KEY, journalEndReader } from './deferred-index.js';
import { indexWriterEntry, SOURCES_ENTRY } from './index-writer-bundle.js';
import { DONE, STATE_SLOTS, type WriterMessage, type WriterSetup } from './index-writer-protocol.js';
import { indexStateWriter, readIndexState, searchFilePath } from './search-file.js';
import { searchParam } from './search-param-name.js';
import type { FhirResource } from './service.js';

// The search index built and written by its own thread into its own file (index-writer.ts,
// search-file.ts): what happens when that thread dies, when the file is lost, and when the file
// is ahead of the journal. deferred-index.test.ts runs the common cases in both modes.
const dirs: string[] = [];
const key = randomBytes(32);
const open: TestNode[] = [];
afterEach(() => {
  for (const node of open.splice(0)) if (node.db.open) node.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function threaded(dir?: string): { node: TestNode; dir: string } {
  const at = dir ?? mkdtempSync(join(tmpdir(), 'careledger-index-writer-'));
  if (!dir) dirs.push(at);
  const node = openTestNode(at, key, { indexThread: true });
  open.push(node);
  return { node, dir: at };
}

const patient = (id: string, family: string): FhirResource => ({ resourceType: 'Patient', id, name: [{ family }] });

async function ids(node: TestNode, query: string): Promise<string[]> {
  const params = [...new URLSearchParams(query)].map(([name, value]) => searchParam(name, value));
  return (await node.store.search({ type: 'Patient', params, count: 100, offset: 0, summaryCount: false })).resources.map((r) => r.id!).sort();
}

/** The writer thread of a test node's store (private: the test reaches in to end it). */
function writerThread(node: TestNode): { terminate(): Promise<number> } {
  return (node.resources as unknown as { indexQueue: { writer: { worker: { terminate(): Promise<number> } } } }).indexQueue.writer.worker;
}

describe('the index writer thread', () => {
  it('keeps its file beside the database, and writes nothing of a patient in the clear', async () => {
    const { node, dir } = threaded();
    await node.store.update('Patient', 'p1', patient('p1', 'Quintanilla'));
    expect(await ids(node, 'family=quint')).toEqual(['p1']);
    expect(existsSync(searchFilePath(join(dir, 'node.db')))).toBe(true);
    const rows = node.db.prepare('SELECT * FROM search.search_index').all();
    expect(JSON.stringify(rows)).not.toMatch(/quint/i);
  });

  it('indexes a resource with thousands of rows (a Patient with 5,000 identifiers) and its neighbours', async () => {
    const { node } = threaded();
    const identifier = Array.from({ length: 5_000 }, (_, i) => ({ system: 'urn:old-mrn', value: `v${i}` }));
    await node.store.update('Patient', 'many', { ...patient('many', 'Many'), identifier } as FhirResource);
    await node.store.update('Patient', 'next', patient('next', 'Neighbour'));
    expect(await ids(node, 'identifier=urn:old-mrn|v4999')).toEqual(['many']);
    expect(await ids(node, 'family=neighbour')).toEqual(['next']);
  });

  it('when the thread dies, the next search indexes what it had not written and a new thread takes over', async () => {
    const { node } = threaded();
    await node.store.update('Patient', 'a', patient('a', 'Abara'));
    expect(await ids(node, 'family=abara')).toEqual(['a']);
    await writerThread(node).terminate();
    await node.store.update('Patient', 'b', patient('b', 'Abara'));
    await node.store.update('Patient', 'a', patient('a', 'Zeller'));
    expect(await ids(node, 'family=abara')).toEqual(['b']);
    expect(await ids(node, 'family=zeller')).toEqual(['a']);
    // The new thread indexes the writes after it.
    await node.store.update('Patient', 'c', patient('c', 'Abara'));
    expect(await ids(node, 'family=abara')).toEqual(['b', 'c']);
    expect(Number(readIndexState(node.db, INDEX_THROUGH_SEQ_KEY))).toBe(journalEndReader(node.db)());
  });

  it('rebuilds a lost index file from the vault at open', async () => {
    const { node, dir } = threaded();
    await node.store.update('Patient', 'a', patient('a', 'Lindqvist'));
    await node.store.update('Patient', 'b', patient('b', 'Lindgren'));
    flushSearchIndex(node.db);
    node.close();
    const file = searchFilePath(join(dir, 'node.db'));
    for (const path of [file, `${file}-wal`, `${file}-shm`]) rmSync(path, { force: true });
    const { node: reopened } = threaded(dir);
    expect(await ids(reopened, 'family=lind')).toEqual(['a', 'b']);
  });

  it('rebuilds an index file that is ahead of the journal (a power cut took the last commits of the database only)', async () => {
    const { node, dir } = threaded();
    await node.store.update('Patient', 'a', patient('a', 'Okoro'));
    flushSearchIndex(node.db);
    // Rows of a write the database lost: the index says it covers a journal row that is not there.
    node.db.prepare("INSERT INTO search.search_index (type, param, value, qual, id) SELECT type, param, value, qual, 'ghost' FROM search.search_index WHERE id = 'a'").run();
    indexStateWriter(node.db)(INDEX_THROUGH_SEQ_KEY, String(journalEndReader(node.db)() + 5));
    node.close();
    const { node: reopened } = threaded(dir);
    expect(await ids(reopened, 'family=okoro')).toEqual(['a']);
    expect((reopened.db.prepare("SELECT COUNT(*) AS n FROM search.search_index WHERE id = 'ghost'").get() as { n: number }).n).toBe(0);
  });

  it('runs from the esbuild bundle; its fallback (the sources through tsx) writes a batch as well', async () => {
    expect(indexWriterEntry().bundled).toBe(true);
    expect(indexWriterEntry().url.pathname).toMatch(/node_modules\/\.cache\/careledger\/index-writer-[0-9a-f]{16}\.mjs$/);
    // The fallback entry writes a batch as the bundle does.
    const { node } = threaded();
    await node.store.update('Patient', 'seed', patient('seed', 'Seed'));
    flushSearchIndex(node.db);
    const setup: WriterSetup = {
      dbPath: node.dbPath,
      blindKey: new Uint8Array(node.resources['options'].indexer.blindKey),
      state: new SharedArrayBuffer(STATE_SLOTS * 4),
      flushResources: 10,
      flushDelayMs: 10,
    };
    const worker = new Worker(SOURCES_ENTRY, { workerData: setup });
    try {
      const late = { resourceType: 'Patient', id: 'late', name: [{ family: 'Latecomer' }] } as FhirResource;
      worker.postMessage({ n: 1, through: journalEndReader(node.db)(), items: [{ type: 'Patient', id: 'late', next: late, mayHave: [] }] } satisfies WriterMessage);
      worker.postMessage({ n: 2, flush: true } satisfies WriterMessage);
      const state = new Int32Array(setup.state);
      for (let waited = 0; Atomics.load(state, DONE) < 2 && waited < 20_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(Atomics.load(state, DONE)).toBe(2);
      const rows = node.db.prepare("SELECT COUNT(*) AS n FROM search.search_index WHERE id = 'late'").get() as { n: number };
      expect(rows.n).toBeGreaterThan(0);
    } finally {
      await worker.terminate();
    }
  });
});
