// Closes batches: takes the oldest unbatched journal rows (up to maxLeaves, in seq order),
// computes the RFC 6962 root and records the batch as the seq range it covers, with its
// sequence and the previous root. A batch is immutable once closed, so a crash between closing
// and anchoring resubmits exactly the same root.

import { MerkleTree } from '../crypto/merkle.js';
import { readState, type Db } from '../store/database.js';

export interface BatchPolicy {
  /** Close as soon as this many leaves wait. */
  maxLeaves: number;
  /** Close when the oldest waiting leaf is this old, however few leaves wait. */
  maxAgeMs: number;
}

export interface ClosedBatch {
  seq: number;
  root: Buffer;
  leafCount: number;
  prevRoot: Buffer;
}

/** Where the member's log continues when this node's database holds no batch yet. */
export const CHAIN_BASE_SEQUENCE = 'anchor.baseSequence';
export const CHAIN_BASE_ROOT = 'anchor.baseRoot';

const ZERO_ROOT = Buffer.alloc(32);

export class Batcher {
  private readonly statements;

  constructor(
    private readonly db: Db,
    private readonly policy: BatchPolicy,
  ) {
    this.statements = {
      waiting: db.prepare('SELECT seq, leaf, received_at FROM journal WHERE seq > ? ORDER BY seq LIMIT ?'),
      oldest: db.prepare('SELECT received_at FROM journal WHERE seq > ? ORDER BY seq LIMIT 1'),
      waitingCount: db.prepare('SELECT COUNT(*) AS n FROM journal WHERE seq > ?'),
      lastBatch: db.prepare('SELECT seq, root, last_seq FROM batches ORDER BY seq DESC LIMIT 1'),
      insertBatch: db.prepare(
        "INSERT INTO batches (seq, root, leaf_count, prev_root, first_seq, last_seq, closed_at, status) VALUES (?, ?, ?, ?, ?, ?, ?, 'closed')",
      ),
    };
  }

  /** The journal seq up to which every row is in a batch. */
  private batchedUpTo(): number {
    return (this.statements.lastBatch.get() as { last_seq: number } | undefined)?.last_seq ?? 0;
  }

  /** Milliseconds until the oldest waiting leaf reaches its age limit; null when none waits. */
  msUntilDue(now = Date.now()): number | null {
    const oldest = this.statements.oldest.get(this.batchedUpTo()) as { received_at: number } | undefined;
    if (!oldest) return null;
    return Math.max(0, oldest.received_at + this.policy.maxAgeMs - now);
  }

  waitingLeaves(): number {
    return (this.statements.waitingCount.get(this.batchedUpTo()) as { n: number }).n;
  }

  /** Closes one batch if the policy says one is due (or `force`), and returns it. */
  closeDue(now = Date.now(), force = false): ClosedBatch | null {
    return this.db.transaction((): ClosedBatch | null => {
      const rows = this.statements.waiting.all(this.batchedUpTo(), this.policy.maxLeaves) as Array<{
        seq: number;
        leaf: Buffer;
        received_at: number;
      }>;
      if (rows.length === 0) return null;
      const due = force || rows.length >= this.policy.maxLeaves || rows[0]!.received_at + this.policy.maxAgeMs <= now;
      if (!due) return null;

      const previous = this.previous();
      const seq = previous.seq + 1;
      const root = MerkleTree.build(rows.map((row) => row.leaf)).root;
      this.statements.insertBatch.run(seq, root, rows.length, previous.root, rows[0]!.seq, rows[rows.length - 1]!.seq, now);
      return { seq, root, leafCount: rows.length, prevRoot: previous.root };
    })();
  }

  private previous(): { seq: number; root: Buffer } {
    const last = this.statements.lastBatch.get() as { seq: number; root: Buffer } | undefined;
    if (last) return last;
    const baseSeq = readState(this.db, CHAIN_BASE_SEQUENCE);
    const baseRoot = readState(this.db, CHAIN_BASE_ROOT);
    if (baseSeq && baseRoot) return { seq: Number(baseSeq), root: Buffer.from(baseRoot.slice(2), 'hex') };
    return { seq: 0, root: ZERO_ROOT };
  }
}
