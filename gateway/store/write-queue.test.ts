import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from './database.js';
import { WalSync } from './wal-sync.js';
import { WriteQueue } from './write-queue.js';

describe('WriteQueue: group commit made durable off the event loop', () => {
  let dir: string;
  let db: Db;
  // fsyncs the test has let through; each call is held until released
  let held: Array<() => void>;
  let fsyncCalls: number;
  let queue: WriteQueue;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'careledger-wq-'));
    db = openDatabase(join(dir, 'node.db'));
    db.exec('CREATE TABLE t (v INTEGER)');
    held = [];
    fsyncCalls = 0;
    const wal = new WalSync(db, (_fd, done) => {
      fsyncCalls++;
      held.push(() => done(null));
    });
    queue = new WriteQueue(db, () => {}, { wal });
  });

  afterEach(() => {
    queue.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const insert = (v: number) => () => db.prepare('INSERT INTO t (v) VALUES (?)').run(v).changes;
  const tick = () => new Promise((resolve) => setImmediate(resolve));

  it('settles a commit only after the WAL fsync, and one fsync serves every unit of the flush', async () => {
    let settled = 0;
    const writes = [1, 2, 3].map((v) => queue.run(insert(v)).then(() => settled++));
    await tick();
    await tick();
    expect((db.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n).toBe(3); // committed
    expect(fsyncCalls).toBe(1);
    expect(settled).toBe(0); // ... but nobody heard so
    held.shift()!();
    await Promise.all(writes);
    expect(settled).toBe(3);
  });

  it('commits that arrive during an fsync wait for the next one, which starts when the first ends', async () => {
    const first = queue.run(insert(1));
    await tick();
    const second = queue.run(insert(2));
    const third = queue.run(insert(3));
    await tick();
    await tick();
    expect(fsyncCalls).toBe(1); // the second flush committed but does not start an overlapping fsync
    let secondSettled = false;
    void second.then(() => (secondSettled = true));
    held.shift()!();
    await first;
    await tick();
    expect(secondSettled).toBe(false);
    expect(fsyncCalls).toBe(2); // one fsync for both later commits
    held.shift()!();
    await Promise.all([second, third]);
  });

  it('keeps synchronous=FULL for every other writer of the connection, also after a failed unit', async () => {
    held = [];
    const inside = queue.run(() => db.pragma('synchronous', { simple: true }));
    const ok = queue.run(insert(1));
    const failing = queue.run(() => {
      throw new Error('refused');
    });
    await tick();
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    while (held.length) held.shift()!();
    expect(await inside).toBe(1); // NORMAL for the group commit itself
    await ok;
    await expect(failing).rejects.toThrow('refused');
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
  });

  it('rejects the commit when the fsync fails: nobody hears "committed" for data not known to be on disk', async () => {
    const failingQueue = new WriteQueue(db, () => {}, { wal: new WalSync(db, (_fd, done) => done(new Error('EIO'))) });
    await expect(failingQueue.run(insert(1))).rejects.toThrow('EIO');
    failingQueue.close();
  });

  it('sizes a flush by time: a backlog of slow units is committed in several short flushes, in order', async () => {
    const timed = new WriteQueue(db, () => {}, { flushBudgetMs: 20, wal: new WalSync(db, (_fd, done) => done(null)) });
    const slowInsert = (v: number) => () => {
      const until = performance.now() + 2;
      while (performance.now() < until);
      return db.prepare('INSERT INTO t (v) VALUES (?)').run(v).changes;
    };
    const results = await Promise.all(Array.from({ length: 200 }, (_, v) => timed.run(slowInsert(v))));
    expect(results.every((r) => r === 1)).toBe(true);
    const values = (db.prepare('SELECT v FROM t ORDER BY rowid').all() as { v: number }[]).map((row) => row.v);
    expect(values).toEqual(Array.from({ length: 200 }, (_, v) => v));
    // The first flush trusts the initial estimate (0.1 ms a unit) and takes all 200; had it
    // measured first, 2 ms units against a 20 ms budget shrink flushes to the minimum of 32.
    expect(timed.stats.commits).toBe(1);
    const more = await Promise.all(Array.from({ length: 200 }, (_, v) => timed.run(slowInsert(200 + v))));
    expect(more.every((r) => r === 1)).toBe(true);
    expect(timed.stats.commits).toBeGreaterThanOrEqual(1 + Math.ceil(200 / 64));
    expect(timed.stats.units).toBe(400);
    timed.close();
  });

  it('fsyncs the real WAL file of a file database and skips it for :memory:', async () => {
    const real = new WriteQueue(db, () => {});
    await expect(real.run(insert(5))).resolves.toBe(1);
    real.close();
    const memory = openDatabase(':memory:');
    memory.exec('CREATE TABLE t (v INTEGER)');
    const inMemory = new WriteQueue(memory, () => {});
    await expect(inMemory.run(() => memory.prepare('INSERT INTO t (v) VALUES (1)').run().changes)).resolves.toBe(1);
    memory.close();
  });
});
