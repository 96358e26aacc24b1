// Group commit. Writers queue synchronous units of work; one flush runs every queued unit in a
// single SQLite transaction and then settles them all. With synchronous=FULL a commit costs an
// fsync, so this is what turns "durable before 201" from hundreds into thousands of writes a
// second.
//
// Units almost never fail here (validation happens before they queue), so a flush first runs
// them all in one plain transaction. Only when a unit throws is that transaction rolled back and
// the batch run again with a savepoint per unit, so one failure does not sink its neighbours.
// Units read the state they write against, so running one again after a rollback is safe.

import type { Db } from './database.js';

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

  constructor(
    private readonly db: Db,
    /** Called after any unit rolled back, so caches of rolled-back rows can be dropped. */
    private readonly onRollback: () => void,
    private readonly maxUnitsPerCommit = 2000,
  ) {
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
    try {
      outcomes = this.runTogether(units);
    } catch (error) {
      this.onRollback();
      if (!(error instanceof UnitFailed)) {
        for (const unit of units) unit.reject(error);
        return;
      }
      try {
        outcomes = this.runIsolated(units);
      } catch (commitError) {
        this.onRollback();
        for (const unit of units) unit.reject(commitError);
        return;
      }
      if (outcomes.some((outcome) => !outcome.ok)) this.onRollback();
    }
    units.forEach((unit, index) => {
      const outcome = outcomes[index]!;
      if (outcome.ok) unit.resolve(outcome.value);
      else unit.reject(outcome.error);
    });
  }
}
