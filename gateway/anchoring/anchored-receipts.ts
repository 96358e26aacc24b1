// Turns "batch N is anchored" into the receipt of every resource version in it, for subscribers
// such as the Kafka receipt publisher. Kept off the hot path: the anchorer's callback only queues
// the batch number, and receipts are built a slice at a time on later turns of the event loop, so
// a batch of thousands of leaves never holds up HTTP or MLLP intake. Batches anchored while nobody listens
// (Kafka still connecting) wait as numbers and are delivered to the first subscriber.

import type { Receipt } from '../receipts/format.js';
import type { ReceiptService } from './receipt-service.js';

const SLICE = 256;

type ReceiptListener = (receipt: Receipt) => void;

export class AnchoredReceiptFeed {
  private readonly listeners = new Set<ReceiptListener>();
  private readonly batches: number[] = [];
  private running: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly receipts: Pick<ReceiptService, 'receipt' | 'batchVersions'>,
    private readonly onError: (error: unknown, batchSeq: number) => void,
  ) {}

  /** The shape publishReceipts expects: register, get an unsubscribe function back. */
  onReceipt = (listener: ReceiptListener): (() => void) => {
    this.listeners.add(listener);
    this.kick();
    return () => this.listeners.delete(listener);
  };

  /** For Anchorer.onAnchored. */
  batchAnchored(batchSeq: number): void {
    if (this.closed) return;
    this.batches.push(batchSeq);
    this.kick();
  }

  /** Resolves when every batch queued so far has been delivered. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Stops taking batches and waits for the one in progress. */
  async close(): Promise<void> {
    this.closed = true;
    this.batches.length = 0;
    await this.idle();
  }

  private kick(): void {
    if (this.listeners.size === 0 || this.batches.length === 0) return;
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
      // A batch may have arrived between the drain's last check and here.
      this.kick();
    });
  }

  private async drain(): Promise<void> {
    while (this.batches.length > 0 && this.listeners.size > 0 && !this.closed) {
      const batchSeq = this.batches.shift()!;
      try {
        await this.deliver(batchSeq);
      } catch (error) {
        this.onError(error, batchSeq);
      }
    }
  }

  private async deliver(batchSeq: number): Promise<void> {
    for (let after = 0; !this.closed; ) {
      await new Promise((resolve) => setImmediate(resolve));
      const rows = this.receipts.batchVersions(batchSeq, after, SLICE);
      if (rows.length === 0) return;
      for (const row of rows) {
        const status = this.receipts.receipt(row.type, row.id, String(row.versionId));
        if (status.status !== 'anchored') continue;
        // ReceiptService issues the receipts format; the port types it loosely for the HTTP layer.
        for (const listener of this.listeners) listener(status.receipt as Receipt);
      }
      after = rows.at(-1)!.journalSeq;
    }
  }
}
