// Group commit. Writers queue synchronous units of work; one flush runs every queued unit in a
// single SQLite transaction and then settles them all once the commit is on stable storage. A
// durable commit costs an fsync, so this is what turns "durable before 201" from hundreds into
// thousands of writes a second. The flush commits with synchronous=NORMAL and the fsync runs on
// the thread pool (wal-sync.ts): the event loop prepares the next units while the disk works.
//
// A flush is one synchronous stretch of the event loop, so it is sized by time, not only by count:
// it takes as many queued units as fit in `flushBudgetMs` at the cost per unit the previous
// flushes measured. Measured with 2,000-unit flushes: 190-300 ms stretches, during which every
// other callback waited, the anchorer's chain round trips included (p95 intake-to-anchor 2.1-2.5
// s at 40,000 resources); with a 25-30 ms budget (25 is the default) 1.4-1.6 s, and intake as fast.
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

export interface WriteQueueOptions {
  /** Upper bound of units in one commit. */
  maxUnitsPerCommit?: number;
  /** Target length of one flush (see above); at least MIN_UNITS_PER_COMMIT units are taken. */
  flushBudgetMs?: number;
  wal?: WalSync;
  /**
   * Told how each group commit ended, right after it: every unit committed, some rolled back to
   * their savepoints and the rest committed, or nothing committed (the search index writer hands
   * over what committed: index-writer.ts).
   */
  onTransactionEnd?: (outcome: 'committed' | 'partial' | 'rolled-back') => void;
}

const MIN_UNITS_PER_COMMIT = 32;

export class WriteQueue {
  private queue: Pending<unknown>[] = [];
  private scheduled = false;
  private readonly runTogether;
  private readonly runIsolated;
  private readonly wal: WalSync;
  private readonly maxUnitsPerCommit: number;
  private readonly flushBudgetMs: number;
  /** Commits made and units they held, for tests and metrics. */
  readonly stats = { commits: 0, units: 0 };
  /** Moving average of the milliseconds a unit took in recent flushes. */
  private msPerUnit = 0.1;

  constructor(
    private readonly db: Db,
    /** Called after any unit rolled back, so caches of rolled-back rows can be dropped. */
    private readonly onRollback: () => void,
    private readonly options: WriteQueueOptions = {},
  ) {
    this.maxUnitsPerCommit = options.maxUnitsPerCommit ?? 2000;
    this.flushBudgetMs = options.flushBudgetMs ?? 25;
    this.wal = options.wal ?? new WalSync(db);
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
    const fit = Math.floor(this.flushBudgetMs / this.msPerUnit);
    const units = this.queue.splice(0, Math.min(this.maxUnitsPerCommit, Math.max(MIN_UNITS_PER_COMMIT, fit)));
    const started = performance.now();
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
    this.msPerUnit = 0.7 * this.msPerUnit + 0.3 * ((performance.now() - started) / units.length);
    this.stats.commits++;
    this.stats.units += units.length;
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
    const ended = this.options.onTransactionEnd ?? (() => {});
    try {
      const outcomes = this.runTogether(units);
      ended('committed');
      return outcomes;
    } catch (error) {
      this.onRollback();
      ended('rolled-back');
      if (!(error instanceof UnitFailed)) throw error;
    }
    let outcomes: Outcome[];
    try {
      outcomes = this.runIsolated(units);
    } catch (commitError) {
      this.onRollback();
      ended('rolled-back');
      throw commitError;
    }
    if (outcomes.some((outcome) => !outcome.ok)) {
      this.onRollback();
      ended('partial');
    } else {
      ended('committed');
    }
    return outcomes;
  }

  /** Resolves once every commit made before the call is on stable storage (at once for :memory:). */
  durable(): Promise<void> {
    return this.wal.sync();
  }

  /** Releases the WAL descriptor; call after the database is closed. */
  close(): void {
    this.wal.close();
  }
}
