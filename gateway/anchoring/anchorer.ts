// Sends closed batches to the ledger, one transaction per batch, strictly in sequence order.
// Before its first submission (and after any sequence error) it reconciles with the chain:
// a batch the chain already holds, from a run that died after sending, is marked anchored
// instead of being sent again, so a crash at any point anchors nothing twice.

import { AnchorDuplicateError, AnchorGapError, AnchorPrevRootMismatchError, AnchorRootExistsError } from '../ledger/anchor-errors.js';
import type { AnchorPort, AnchorRecord, Hex } from '../ledger/ports.js';
import type { Batcher } from './batcher.js';
import type { BatchLog, ClosedBatch } from './ports.js';

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

/** What the anchorer's listeners hear once a batch is anchored. */
export interface AnchoredBatch {
  seq: number;
  leafCount: number;
  /** Epoch ms. */
  closedAt: number;
  anchoredAt: number;
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
  private readonly anchoredListeners: Array<(batchSeq: number, batch: AnchoredBatch) => void> = [];

  constructor(
    private readonly batches: BatchLog,
    private readonly batcher: Batcher,
    private readonly port: AnchorPort,
    private readonly log: AnchorerLog,
  ) {}

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

  onAnchored(listener: (batchSeq: number, batch: AnchoredBatch) => void): void {
    this.anchoredListeners.push(listener);
  }

  health(): AnchorerHealth {
    return {
      state: this.state,
      detail: this.detail,
      lastAnchoredSequence: this.batches.lastAnchoredSequence(),
      closedBatchesWaiting: this.batches.closedBatchesWaiting(),
      leavesWaiting: this.batcher.waitingLeaves(),
      lastAnchoredAt: this.lastAnchoredAt,
    };
  }

  /** Closes whatever is waiting and anchors everything; for shutdown, tests and benchmarks. */
  async flush(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    await this.batcher.closeDue(Date.now(), true);
    this.nudge();
    while (Date.now() < deadline) {
      const health = this.health();
      if (health.closedBatchesWaiting === 0 && health.leavesWaiting === 0) return;
      if (health.leavesWaiting > 0 && health.closedBatchesWaiting === 0) await this.batcher.closeDue(Date.now(), true);
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
        const batch = (await this.batches.nextClosed()) ?? (await this.batcher.closeDue());
        if (batch) {
          await this.submit(batch);
          this.healthy();
          continue;
        }
        this.healthy();
        const due = await this.batcher.msUntilDue();
        await this.idle(due === null ? 1_000 : Math.max(5, due));
      } catch (error) {
        await this.failed(error);
      }
    }
  }

  private async submit(batch: ClosedBatch): Promise<void> {
    const record = await this.port.submitAnchor({
      sequence: BigInt(batch.seq),
      root: hex(batch.root),
      leafCount: batch.leafCount,
      prevRoot: hex(batch.prevRoot),
    });
    await this.markAnchored(batch, record);
  }

  private async markAnchored(batch: ClosedBatch, record: AnchorRecord): Promise<void> {
    const anchoredAt = Date.now();
    if (!(await this.batches.markAnchored(batch.seq, batch.root, record, anchoredAt))) return;
    this.lastAnchoredAt = new Date(anchoredAt).toISOString();
    const anchored = { seq: batch.seq, leafCount: batch.leafCount, closedAt: batch.closedAt, anchoredAt };
    for (const listener of this.anchoredListeners) listener(batch.seq, anchored);
  }

  /**
   * Brings the local batch log in line with the chain: batches the chain already holds are
   * marked anchored; a chain that holds other roots, or more anchors than this database knows,
   * means the two diverged, and anchoring stops until an operator looks.
   */
  private async reconcile(): Promise<void> {
    const member = this.port.memberId;
    const chainLatest = Number(await this.port.latestSequence(member));
    const localLast = (await this.batches.head())?.seq;

    if (localLast === undefined) {
      if (chainLatest > 0) {
        const head = await this.port.getAnchor(member, BigInt(chainLatest));
        if (!head) throw new Error(`chain reports sequence ${chainLatest} but returned no anchor for it`);
        await this.batches.setChainBase({ seq: chainLatest, root: Buffer.from(head.root.slice(2), 'hex') });
        this.log.warn({ chainLatest }, 'empty journal joins an existing anchor log; continuing after the chain head');
      }
      return;
    }

    for (const batch of await this.batches.closedUpTo(chainLatest)) {
      const onChain = await this.port.getAnchor(member, BigInt(batch.seq));
      if (!onChain || onChain.root !== hex(batch.root)) {
        this.diverged(`batch ${batch.seq} has root ${hex(batch.root)} locally but ${onChain?.root ?? 'nothing'} on chain`);
        return;
      }
      await this.markAnchored(batch, onChain);
      this.log.info({ seq: batch.seq }, 'batch found on chain during reconciliation; not resubmitted');
    }
    if (chainLatest > localLast) {
      this.diverged(`the chain holds ${chainLatest} anchors for this member but the journal only ${localLast}`);
      return;
    }
    const lastAnchored = this.batches.lastAnchoredSequence();
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
