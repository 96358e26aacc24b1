// Read-only figures for the console's Operations view: the newest batches with their anchors, how
// many versions arrived lately, and the oldest version not yet anchored. Each query is bounded
// (by LIMIT or by the journal's primary key), so polling it every 2 s costs a few index reads.
import type { Db } from './database.js';

export interface BatchListing {
  seq: number;
  leafCount: number;
  status: 'closed' | 'anchored';
  /** Epoch ms. */
  closedAt: number;
  anchoredAt: number | null;
  txHash: string | null;
  blockNumber: number | null;
}

interface BatchRow {
  seq: number;
  leaf_count: number;
  status: 'closed' | 'anchored';
  closed_at: number;
  anchored_at: number | null;
  tx_hash: string | null;
  block_number: number | null;
}

/** How far back intake is counted: a rate over a larger window says little about now. */
const RECENT_ROWS_CAP = 200_000;

export class OperationsReads {
  private readonly statements;

  constructor(db: Db) {
    this.statements = {
      batches: db.prepare('SELECT seq, leaf_count, status, closed_at, anchored_at, tx_hash, block_number FROM batches ORDER BY seq DESC LIMIT ?'),
      lastSeq: db.prepare('SELECT coalesce(MAX(seq), 0) AS seq FROM journal'),
      // Journal rows arrive in seq order, so the newest rows are the recent ones: the scan stops
      // at the cap however long the journal is.
      receivedSince: db.prepare(`SELECT COUNT(*) AS n FROM (SELECT received_at FROM journal ORDER BY seq DESC LIMIT ${RECENT_ROWS_CAP}) WHERE received_at >= ?`),
      oldestUnanchored: db.prepare(
        "SELECT received_at FROM journal WHERE seq > coalesce((SELECT MAX(last_seq) FROM batches WHERE status = 'anchored'), 0) ORDER BY seq LIMIT 1",
      ),
    };
  }

  /** The newest `limit` batches, newest first. */
  recentBatches(limit: number): BatchListing[] {
    return (this.statements.batches.all(limit) as BatchRow[]).map((row) => ({
      seq: row.seq,
      leafCount: row.leaf_count,
      status: row.status,
      closedAt: row.closed_at,
      anchoredAt: row.anchored_at,
      txHash: row.tx_hash,
      blockNumber: row.block_number,
    }));
  }

  journaledTotal(): number {
    return (this.statements.lastSeq.get() as { seq: number }).seq;
  }

  /** Versions journaled at or after `since` (epoch ms). */
  receivedSince(since: number): number {
    return (this.statements.receivedSince.get(since) as { n: number }).n;
  }

  /** When the oldest version not yet in an anchored batch arrived (epoch ms), or null. */
  oldestUnanchoredAt(): number | null {
    return (this.statements.oldestUnanchored.get() as { received_at: number } | undefined)?.received_at ?? null;
  }
}
