// Group commit. Writers queue synchronous units of work; one flush runs every queued unit in a
// single SQLite transaction and then settles them all once the commit is on stable storage. A
// durable commit costs an fsync, so this is what turns "durable before 201" from hundreds into
// thousands of writes a second. The flush commits with synchronous=NORMAL and the fsync runs on
// the thread pool (wal-sync.ts): the event loop prepares the next units while the disk works.
//
// Units almost never fail here (validation happens before they queue), so a flush first runs
// them all in one plain transaction. Only when a unit throws is that transaction rolled back and
// the batch run again with a savepoint per unit, so one failure does not sink its neighbours.
// Units read the state they write against, so running one again after a rollback is safe.

import type { Db } from './database.js';
import { WalSync } from './wal-sync.js';

interface Pending<T> {
  work: () => T;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

class UnitFailed extends Error {
  constructor(readonly failure: unknown) {
    super('a unit of work failed');
  }
}

export class WriteQueue {
  private queue: Pending<unknown>[] = [];
  private scheduled = false;
  private readonly runTogether;
  private readonly runIsolated;
  private readonly wal: WalSync;

  constructor(
    private readonly db: Db,
    /** Called after any unit rolled back, so caches of rolled-back rows can be dropped. */
    private readonly onRollback: () => void,
    private readonly maxUnitsPerCommit = 2000,
    wal?: WalSync,
  ) {
    this.wal = wal ?? new WalSync(db);
    this.runTogether = db.transaction((units: Pending<unknown>[]): Outcome[] =>
      units.map((unit) => {
        try {
          return { ok: true, value: unit.work() };
        } catch (error) {
          throw new UnitFailed(error);
        }
      }),
    );
    this.runIsolated = db.transaction((units: Pending<unknown>[]): Outcome[] =>
      units.map((unit) => {
        try {
          return { ok: true, value: this.db.transaction(unit.work)() };
        } catch (error) {
          return { ok: false, error };
        }
      }),
    );
  }

  run<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve, reject } as Pending<unknown>);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    const units = this.queue.splice(0, this.maxUnitsPerCommit);
    this.scheduled = this.queue.length > 0;
    if (this.scheduled) setImmediate(() => this.flush());

    let outcomes: Outcome[];
    // db.pragma, not a statement prepared once: SQLite applies this pragma when it compiles it.
    this.db.pragma('synchronous = NORMAL');
    try {
      outcomes = this.commit(units);
    } catch (error) {
      for (const unit of units) unit.reject(error);
      return;
    } finally {
      this.db.pragma('synchronous = FULL');
    }
    this.wal.sync().then(
      () =>
        units.forEach((unit, index) => {
          const outcome = outcomes[index]!;
          if (outcome.ok) unit.resolve(outcome.value);
          else unit.reject(outcome.error);
        }),
      (error: unknown) => {
        // Committed, but not known to be on disk: nobody may hear "committed".
        for (const unit of units) unit.reject(error);
      },
    );
  }

  /** Runs the units in one transaction, or one savepoint each when one of them throws. */
  private commit(units: Pending<unknown>[]): Outcome[] {
    try {
      return this.runTogether(units);
    } catch (error) {
      this.onRollback();
      if (!(error instanceof UnitFailed)) throw error;
    }
    let outcomes: Outcome[];
    try {
      outcomes = this.runIsolated(units);
    } catch (commitError) {
      this.onRollback();
      throw commitError;
    }
    if (outcomes.some((outcome) => !outcome.ok)) this.onRollback();
    return outcomes;
  }

  /** Releases the WAL descriptor; call after the database is closed. */
  close(): void {
    this.wal.close();
  }
}
