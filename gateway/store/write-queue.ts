// Group commit. Writers queue synchronous units of work; one flush runs every queued unit in a
// single SQLite transaction (each unit in its own savepoint, so one failure does not sink its
// neighbours) and then settles them all. With synchronous=FULL a commit costs an fsync, so this
// is what turns "durable before 201" from hundreds into thousands of writes a second.

import type { Db } from './database.js';

interface Pending<T> {
  work: () => T;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

export class WriteQueue {
  private queue: Pending<unknown>[] = [];
  private scheduled = false;

  constructor(
    private readonly db: Db,
    /** Called after any unit rolled back, so caches of rolled-back rows can be dropped. */
    private readonly onRollback: () => void,
    private readonly maxUnitsPerCommit = 2000,
  ) {}

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

    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    let rolledBack = false;
    try {
      this.db.transaction(() => {
        for (const unit of units) {
          try {
            outcomes.push({ ok: true, value: this.db.transaction(unit.work)() });
          } catch (error) {
            rolledBack = true;
            outcomes.push({ ok: false, error });
          }
        }
      })();
    } catch (error) {
      this.onRollback();
      for (const unit of units) unit.reject(error);
      return;
    }
    if (rolledBack) this.onRollback();
    units.forEach((unit, index) => {
      const outcome = outcomes[index]!;
      if (outcome.ok) unit.resolve(outcome.value);
      else unit.reject(outcome.error);
    });
  }
}
