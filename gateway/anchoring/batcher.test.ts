import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MerkleTree } from '../crypto/merkle.js';
import { SqliteBatchStore } from '../store/batch-store.js';
import { journalObservations, tempNodeDatabase, type TempNodeDatabase } from '../../test/support/journal-seed.js';
import { Batcher } from './batcher.js';

const ZERO_ROOT = Buffer.alloc(32);
const T0 = 1_700_000_000_000;

let temp: TempNodeDatabase;
let log: SqliteBatchStore;

beforeEach(() => {
  temp = tempNodeDatabase();
  log = new SqliteBatchStore(temp.db);
});
afterEach(() => temp.remove());

describe('Batcher', () => {
  it('closes nothing while too few leaves wait and none is old enough', async () => {
    const batcher = new Batcher(log, { maxLeaves: 10, maxAgeMs: 1_000 });
    expect(await batcher.closeDue(T0)).toBeNull();
    expect(await batcher.msUntilDue(T0)).toBeNull();

    journalObservations(temp.db, 3, 'young', T0);
    expect(await batcher.closeDue(T0 + 999)).toBeNull();
    expect(await batcher.msUntilDue(T0 + 400)).toBe(600);
    expect(batcher.waitingLeaves()).toBe(3);
  });

  it('closes by age: whatever waits once the oldest leaf reaches maxAgeMs', async () => {
    const batcher = new Batcher(log, { maxLeaves: 10, maxAgeMs: 1_000 });
    const seeded = journalObservations(temp.db, 3, 'aged', T0);
    const batch = await batcher.closeDue(T0 + 1_000);
    expect(batch).toMatchObject({ seq: 1, leafCount: 3, prevRoot: ZERO_ROOT, closedAt: T0 + 1_000 });
    expect(batch!.root).toEqual(MerkleTree.build(seeded.map((version) => version.leaf)).root);
    expect(batcher.waitingLeaves()).toBe(0);
    expect(await batcher.msUntilDue(T0 + 1_000)).toBeNull();
  });

  it('closes by size at once, never more than maxLeaves, in contiguous journal ranges chained by root', async () => {
    const batcher = new Batcher(log, { maxLeaves: 4, maxAgeMs: 60_000 });
    const seeded = journalObservations(temp.db, 10, 'sized', T0);

    const first = await batcher.closeDue(T0);
    const second = await batcher.closeDue(T0);
    // Two leaves are left: under the size limit and young, so they wait.
    expect(await batcher.closeDue(T0)).toBeNull();
    const third = await batcher.closeDue(T0, true);

    expect([first, second, third].map((batch) => batch!.leafCount)).toEqual([4, 4, 2]);
    expect([first, second, third].map((batch) => batch!.seq)).toEqual([1, 2, 3]);
    expect(first!.root).toEqual(MerkleTree.build(seeded.slice(0, 4).map((version) => version.leaf)).root);
    expect(second!.root).toEqual(MerkleTree.build(seeded.slice(4, 8).map((version) => version.leaf)).root);
    expect(third!.root).toEqual(MerkleTree.build(seeded.slice(8).map((version) => version.leaf)).root);
    expect(second!.prevRoot).toEqual(first!.root);
    expect(third!.prevRoot).toEqual(second!.root);
    expect(await log.head()).toEqual({ seq: 3, root: third!.root, lastJournalSeq: seeded.at(-1)!.journalSeq });
  });

  it('closes one batch per call even when calls overlap', async () => {
    const batcher = new Batcher(log, { maxLeaves: 2, maxAgeMs: 60_000 });
    journalObservations(temp.db, 6, 'overlap', T0);
    const batches = await Promise.all([batcher.closeDue(T0), batcher.closeDue(T0), batcher.closeDue(T0)]);
    expect(batches.map((batch) => batch!.seq)).toEqual([1, 2, 3]);
    expect(batches.map((batch) => batch!.leafCount)).toEqual([2, 2, 2]);
  });

  it('continues the same log after a restart, and a closed batch stays as it was', async () => {
    const before = new Batcher(log, { maxLeaves: 3, maxAgeMs: 60_000 });
    journalObservations(temp.db, 5, 'restart', T0);
    const first = await before.closeDue(T0);
    const closedBefore = await log.nextClosed();

    const reopened = new SqliteBatchStore(temp.reopen());
    const after = new Batcher(reopened, { maxLeaves: 3, maxAgeMs: 60_000 });
    expect(await reopened.nextClosed()).toEqual(closedBefore);
    expect(after.waitingLeaves()).toBe(2);
    const second = await after.closeDue(T0, true);
    expect(second).toMatchObject({ seq: 2, leafCount: 2, prevRoot: first!.root });
  });

  it('starts after the chain head when the node joined an existing anchor log', async () => {
    const baseRoot = Buffer.alloc(32, 7);
    await log.setChainBase({ seq: 41, root: baseRoot });
    journalObservations(temp.db, 1, 'joined', T0);
    const batch = await new Batcher(log, { maxLeaves: 1, maxAgeMs: 60_000 }).closeDue(T0);
    expect(batch).toMatchObject({ seq: 42, prevRoot: baseRoot, leafCount: 1 });
  });
});
