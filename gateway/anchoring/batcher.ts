// Closes batches: takes the oldest unbatched journal rows (up to maxLeaves, in seq order),
// computes the RFC 6962 root and records the batch as the seq range it covers, with its
// sequence and the previous root. A batch is immutable once closed, so a crash between closing
// and anchoring resubmits exactly the same root.

import { MerkleTree } from '../crypto/merkle.js';
import type { BatchLog, ClosedBatch } from './ports.js';

export interface BatchPolicy {
  /** Close as soon as this many leaves wait. */
  maxLeaves: number;
  /** Close when the oldest waiting leaf is this old, however few leaves wait. */
  maxAgeMs: number;
}

const ZERO_ROOT = Buffer.alloc(32);

export class Batcher {
  /** Closing reads the log head and then appends after it: one close at a time. */
  private closing: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly log: BatchLog,
    private readonly policy: BatchPolicy,
  ) {}

  /** Milliseconds until the oldest waiting leaf reaches its age limit; null when none waits. */
  async msUntilDue(now = Date.now()): Promise<number | null> {
    const [oldest] = await this.log.unbatchedLeaves(await this.batchedUpTo(), 1);
    if (!oldest) return null;
    return Math.max(0, oldest.receivedAt + this.policy.maxAgeMs - now);
  }

  waitingLeaves(): number {
    return this.log.leavesWaiting();
  }

  /** Closes one batch if the policy says one is due (or `force`), and returns it. */
  closeDue(now = Date.now(), force = false): Promise<ClosedBatch | null> {
    const closed = this.closing.then(() => this.close(now, force));
    this.closing = closed.catch(() => undefined);
    return closed;
  }

  private async close(now: number, force: boolean): Promise<ClosedBatch | null> {
    const head = await this.log.head();
    const rows = await this.log.unbatchedLeaves(head?.lastJournalSeq ?? 0, this.policy.maxLeaves);
    if (rows.length === 0) return null;
    const due = force || rows.length >= this.policy.maxLeaves || rows[0]!.receivedAt + this.policy.maxAgeMs <= now;
    if (!due) return null;

    const previous = head ?? (await this.log.chainBase()) ?? { seq: 0, root: ZERO_ROOT };
    const batch = {
      seq: previous.seq + 1,
      root: MerkleTree.build(rows.map((row) => row.leaf)).root,
      leafCount: rows.length,
      prevRoot: previous.root,
      closedAt: now,
    };
    await this.log.appendBatch({ ...batch, firstJournalSeq: rows[0]!.journalSeq, lastJournalSeq: rows.at(-1)!.journalSeq });
    return batch;
  }

  private async batchedUpTo(): Promise<number> {
    return (await this.log.head())?.lastJournalSeq ?? 0;
  }
}
