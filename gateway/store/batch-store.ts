// The batch log in SQLite (anchoring's BatchLog port): the `batches` table, the journal leaves it
// covers and where the member's anchor log continued from when the node joined it. A batch is the
// contiguous journal range first_seq..last_seq, so closing one never rewrites journal rows.

import type { BatchHead, BatchLog, ChainBase, ClosedBatch, NewBatch, UnbatchedLeaf } from '../anchoring/ports.js';
import type { AnchorRecord } from '../ledger/ports.js';
import { readState, writeState, type Db } from './database.js';

const CHAIN_BASE_SEQUENCE = 'anchor.baseSequence';
const CHAIN_BASE_ROOT = 'anchor.baseRoot';

interface BatchRow {
  seq: number;
  root: Buffer;
  leaf_count: number;
  prev_root: Buffer;
  closed_at: number;
}

const BATCH_COLUMNS = 'seq, root, leaf_count, prev_root, closed_at';

export class SqliteBatchStore implements BatchLog {
  private readonly statements;

  constructor(private readonly db: Db) {
    this.statements = {
      head: db.prepare('SELECT seq, root, last_seq FROM batches ORDER BY seq DESC LIMIT 1'),
      unbatched: db.prepare('SELECT seq, leaf, received_at FROM journal WHERE seq > ? ORDER BY seq LIMIT ?'),
      waitingCount: db.prepare(
        'SELECT COUNT(*) AS n FROM journal WHERE seq > coalesce((SELECT last_seq FROM batches ORDER BY seq DESC LIMIT 1), 0)',
      ),
      insert: db.prepare(
        "INSERT INTO batches (seq, root, leaf_count, prev_root, first_seq, last_seq, closed_at, status) VALUES (?, ?, ?, ?, ?, ?, ?, 'closed')",
      ),
      nextClosed: db.prepare(`SELECT ${BATCH_COLUMNS} FROM batches WHERE status = 'closed' ORDER BY seq LIMIT 1`),
      closedUpTo: db.prepare(`SELECT ${BATCH_COLUMNS} FROM batches WHERE status = 'closed' AND seq <= ? ORDER BY seq`),
      closedCount: db.prepare("SELECT COUNT(*) AS n FROM batches WHERE status = 'closed'"),
      lastAnchored: db.prepare("SELECT MAX(seq) AS seq FROM batches WHERE status = 'anchored'"),
      markAnchored: db.prepare(
        `UPDATE batches SET status = 'anchored', tx_hash = ?, block_number = ?, block_time = ?, chain_id = ?, contract = ?,
           member = ?, submitter = ?, anchored_at = ? WHERE seq = ? AND root = ?`,
      ),
    };
  }

  async head(): Promise<BatchHead | undefined> {
    const row = this.statements.head.get() as { seq: number; root: Buffer; last_seq: number } | undefined;
    return row && { seq: row.seq, root: row.root, lastJournalSeq: row.last_seq };
  }

  async unbatchedLeaves(afterJournalSeq: number, limit: number): Promise<UnbatchedLeaf[]> {
    const rows = this.statements.unbatched.all(afterJournalSeq, limit) as Array<{ seq: number; leaf: Buffer; received_at: number }>;
    return rows.map((row) => ({ journalSeq: row.seq, leaf: row.leaf, receivedAt: row.received_at }));
  }

  async appendBatch(batch: NewBatch): Promise<void> {
    this.statements.insert.run(batch.seq, batch.root, batch.leafCount, batch.prevRoot, batch.firstJournalSeq, batch.lastJournalSeq, batch.closedAt);
  }

  async nextClosed(): Promise<ClosedBatch | undefined> {
    const row = this.statements.nextClosed.get() as BatchRow | undefined;
    return row && toClosedBatch(row);
  }

  async closedUpTo(seq: number): Promise<ClosedBatch[]> {
    return (this.statements.closedUpTo.all(seq) as BatchRow[]).map(toClosedBatch);
  }

  async markAnchored(seq: number, root: Buffer, record: AnchorRecord, anchoredAt: number): Promise<boolean> {
    const { changes } = this.statements.markAnchored.run(
      record.txHash,
      record.blockNumber,
      record.blockTime,
      record.chainId,
      record.contract,
      record.member,
      record.submitter,
      anchoredAt,
      seq,
      root,
    );
    return changes > 0;
  }

  async chainBase(): Promise<ChainBase | undefined> {
    const seq = readState(this.db, CHAIN_BASE_SEQUENCE);
    const root = readState(this.db, CHAIN_BASE_ROOT);
    return seq && root ? { seq: Number(seq), root: Buffer.from(root.slice(2), 'hex') } : undefined;
  }

  async setChainBase(base: ChainBase): Promise<void> {
    this.db.transaction(() => {
      writeState(this.db, CHAIN_BASE_SEQUENCE, String(base.seq));
      writeState(this.db, CHAIN_BASE_ROOT, `0x${base.root.toString('hex')}`);
    })();
  }

  leavesWaiting(): number {
    return (this.statements.waitingCount.get() as { n: number }).n;
  }

  closedBatchesWaiting(): number {
    return (this.statements.closedCount.get() as { n: number }).n;
  }

  lastAnchoredSequence(): number {
    return (this.statements.lastAnchored.get() as { seq: number | null }).seq ?? 0;
  }
}

function toClosedBatch(row: BatchRow): ClosedBatch {
  return { seq: row.seq, root: row.root, leafCount: row.leaf_count, prevRoot: row.prev_root, closedAt: row.closed_at };
}
