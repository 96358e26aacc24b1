// Sends closed batches to the ledger, one transaction per batch, strictly in sequence order.
// Before its first submission (and after any sequence error) it reconciles with the chain:
// a batch the chain already holds, from a run that died after sending, is marked anchored
// instead of being sent again, so a crash at any point anchors nothing twice.

import { AnchorDuplicateError, AnchorGapError, AnchorPrevRootMismatchError, AnchorRootExistsError } from '../ledger/anchor-errors.js';
import type { AnchorPort, AnchorRecord, Hex } from '../ledger/ports.js';
import { writeState, type Db } from '../store/database.js';
import { CHAIN_BASE_ROOT, CHAIN_BASE_SEQUENCE, type Batcher } from './batcher.js';

export interface AnchorerHealth {
  state: 'starting' | 'ok' | 'chain-unreachable' | 'diverged';
  detail?: string;
  lastAnchoredSequence: number;
  closedBatchesWaiting: number;
  leavesWaiting: number;
  lastAnchoredAt?: string;
}

export interface AnchorerLog {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

interface BatchRow {
  seq: number;
  root: Buffer;
  leaf_count: number;
  prev_root: Buffer;
}

const MAX_BACKOFF_MS = 10_000;

export class Anchorer {
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private reconciled = false;
  private backoffMs = 250;
  private state: AnchorerHealth['state'] = 'starting';
  private detail: string | undefined;
  private lastAnchoredAt: string | undefined;
  private readonly anchoredListeners: Array<(batchSeq: number) => void> = [];
  private readonly statements;

  constructor(
    private readonly db: Db,
    private readonly batcher: Batcher,
    private readonly port: AnchorPort,
    private readonly log: AnchorerLog,
  ) {
    this.statements = {
      nextClosed: db.prepare("SELECT seq, root, leaf_count, prev_root FROM batches WHERE status = 'closed' ORDER BY seq LIMIT 1"),
      closedUpTo: db.prepare("SELECT seq, root FROM batches WHERE status = 'closed' AND seq <= ? ORDER BY seq"),
      closedCount: db.prepare("SELECT COUNT(*) AS n FROM batches WHERE status = 'closed'"),
      lastSeq: db.prepare('SELECT MAX(seq) AS seq FROM batches'),
      lastAnchored: db.prepare("SELECT MAX(seq) AS seq FROM batches WHERE status = 'anchored'"),
      markAnchored: db.prepare(
        `UPDATE batches SET status = 'anchored', tx_hash = ?, block_number = ?, block_time = ?, chain_id = ?, contract = ?,
           member = ?, submitter = ?, anchored_at = ? WHERE seq = ? AND root = ?`,
      ),
    };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /** Wakes the loop early, e.g. when a full batch's worth of leaves is waiting. */
  nudge(): void {
    this.wake?.();
  }

  onAnchored(listener: (batchSeq: number) => void): void {
    this.anchoredListeners.push(listener);
  }

  health(): AnchorerHealth {
    return {
      state: this.state,
      detail: this.detail,
      lastAnchoredSequence: (this.statements.lastAnchored.get() as { seq: number | null }).seq ?? 0,
      closedBatchesWaiting: (this.statements.closedCount.get() as { n: number }).n,
      leavesWaiting: this.batcher.waitingLeaves(),
      lastAnchoredAt: this.lastAnchoredAt,
    };
  }

  /** Closes whatever is waiting and anchors everything; for shutdown, tests and benchmarks. */
  async flush(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    this.batcher.closeDue(Date.now(), true);
    this.nudge();
    while (Date.now() < deadline) {
      const health = this.health();
      if (health.closedBatchesWaiting === 0 && health.leavesWaiting === 0) return;
      if (health.leavesWaiting > 0 && health.closedBatchesWaiting === 0) this.batcher.closeDue(Date.now(), true);
      this.nudge();
      await sleep(20);
    }
    throw new Error('anchoring did not catch up before the timeout');
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        if (!this.reconciled) {
          await this.reconcile();
          this.reconciled = true;
        }
        if (this.state === 'diverged') {
          await this.idle(MAX_BACKOFF_MS);
          continue;
        }
        const batch = (this.statements.nextClosed.get() as BatchRow | undefined) ?? this.closeDue();
        if (batch) {
          await this.submit(batch);
          this.healthy();
          continue;
        }
        this.healthy();
        const due = this.batcher.msUntilDue();
        await this.idle(due === null ? 1_000 : Math.max(5, due));
      } catch (error) {
        await this.failed(error);
      }
    }
  }

  private closeDue(): BatchRow | undefined {
    const closed = this.batcher.closeDue();
    if (!closed) return undefined;
    return { seq: closed.seq, root: closed.root, leaf_count: closed.leafCount, prev_root: closed.prevRoot };
  }

  private async submit(batch: BatchRow): Promise<void> {
    const record = await this.port.submitAnchor({
      sequence: BigInt(batch.seq),
      root: hex(batch.root),
      leafCount: batch.leaf_count,
      prevRoot: hex(batch.prev_root),
    });
    this.markAnchored(batch.seq, batch.root, record);
  }

  private markAnchored(seq: number, root: Buffer, record: AnchorRecord): void {
    const changed = this.statements.markAnchored.run(
      record.txHash,
      record.blockNumber,
      record.blockTime,
      record.chainId,
      record.contract,
      record.member,
      record.submitter,
      Date.now(),
      seq,
      root,
    ).changes;
    if (changed === 0) return;
    this.lastAnchoredAt = new Date().toISOString();
    for (const listener of this.anchoredListeners) listener(seq);
  }

  /**
   * Brings the local batch log in line with the chain: batches the chain already holds are
   * marked anchored; a chain that holds other roots, or more anchors than this database knows,
   * means the two diverged, and anchoring stops until an operator looks.
   */
  private async reconcile(): Promise<void> {
    const member = this.port.memberId;
    const chainLatest = Number(await this.port.latestSequence(member));
    const localLast = (this.statements.lastSeq.get() as { seq: number | null }).seq;

    if (localLast === null) {
      if (chainLatest > 0) {
        const head = await this.port.getAnchor(member, BigInt(chainLatest));
        if (!head) throw new Error(`chain reports sequence ${chainLatest} but returned no anchor for it`);
        writeState(this.db, CHAIN_BASE_SEQUENCE, String(chainLatest));
        writeState(this.db, CHAIN_BASE_ROOT, head.root);
        this.log.warn({ chainLatest }, 'empty journal joins an existing anchor log; continuing after the chain head');
      }
      return;
    }

    for (const batch of this.statements.closedUpTo.all(chainLatest) as Array<{ seq: number; root: Buffer }>) {
      const onChain = await this.port.getAnchor(member, BigInt(batch.seq));
      if (!onChain || onChain.root !== hex(batch.root)) {
        this.diverged(`batch ${batch.seq} has root ${hex(batch.root)} locally but ${onChain?.root ?? 'nothing'} on chain`);
        return;
      }
      this.markAnchored(batch.seq, batch.root, onChain);
      this.log.info({ seq: batch.seq }, 'batch found on chain during reconciliation; not resubmitted');
    }
    if (chainLatest > localLast) {
      this.diverged(`the chain holds ${chainLatest} anchors for this member but the journal only ${localLast}`);
      return;
    }
    const lastAnchored = (this.statements.lastAnchored.get() as { seq: number | null }).seq ?? 0;
    if (lastAnchored > chainLatest) {
      this.diverged(`the journal has batch ${lastAnchored} anchored but the chain only ${chainLatest}: was the chain reset?`);
    }
  }

  private diverged(detail: string): void {
    this.state = 'diverged';
    this.detail = detail;
    this.log.error({ detail }, 'anchor log diverged from the chain; anchoring halted');
  }

  private healthy(): void {
    if (this.state !== 'diverged') {
      this.state = 'ok';
      this.detail = undefined;
    }
    this.backoffMs = 250;
  }

  private async failed(error: unknown): Promise<void> {
    const message = error instanceof Error ? error.message : String(error);
    if (isSequenceConflict(error)) {
      this.reconciled = false;
      this.log.warn({ err: message }, 'sequence conflict on chain; reconciling');
    } else {
      if (this.state !== 'chain-unreachable') this.log.warn({ err: message }, 'anchoring failed; will retry');
      this.state = 'chain-unreachable';
      this.detail = message;
      this.reconciled = false;
    }
    await this.idle(this.backoffMs);
    this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
  }

  private idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }
}

/** The chain refused the anchor because of where the member's log stands: reconcile, don't retry blindly. */
function isSequenceConflict(error: unknown): boolean {
  return (
    error instanceof AnchorGapError ||
    error instanceof AnchorDuplicateError ||
    error instanceof AnchorPrevRootMismatchError ||
    error instanceof AnchorRootExistsError
  );
}

function hex(buffer: Buffer): Hex {
  return `0x${buffer.toString('hex')}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
