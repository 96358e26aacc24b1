// Break-glass events on chain. The read is served as soon as its AuditEvent is durable (an
// emergency must not wait for a block, nor fail because the chain is briefly unreachable); the
// EmergencyAccessed event goes through this durable outbox and is retried until it lands.

import { ConsentRejectedError } from '../ledger/consent-errors.js';
import type { ConsentPort, Hex } from '../ledger/ports.js';
import type { EmergencyOutbox, PendingEmergency } from './consent-tables.js';

export interface EmergencyRecord {
  accessor: Hex;
  patientAddress: Hex;
  reasonHash: Hex;
  auditEventId: string;
}

export class EmergencyLog {
  private flushing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly outbox: EmergencyOutbox,
    private readonly port: ConsentPort,
    private readonly onError: (error: unknown) => void = () => undefined,
    private readonly retryMs = 2_000,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.retryMs);
    this.timer.unref();
    void this.flush();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flushing;
  }

  async enqueue(record: EmergencyRecord): Promise<void> {
    await this.outbox.add(record, Date.now());
    void this.flush();
  }

  /** The chain transaction that logged the break-glass read of an AuditEvent, once it landed. */
  async txFor(auditEventId: string): Promise<{ txHash: Hex; blockNumber: number } | null> {
    const sent = await this.outbox.sentFor(auditEventId);
    return sent?.txHash?.startsWith('0x') ? { txHash: sent.txHash as Hex, blockNumber: sent.blockNumber! } : null;
  }

  /** Sends every pending event, one at a time, in order. Concurrent callers share one pass. */
  flush(): Promise<void> {
    this.flushing ??= this.flushOnce()
      .catch((error) => this.onError(error))
      .finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async flushOnce(): Promise<void> {
    // Rows enqueued while a pass runs are picked up by the same pass.
    for (let events: PendingEmergency[] = await this.outbox.pending(); events.length > 0; events = await this.outbox.pending()) {
      for (const event of events) {
        try {
          const tx = await this.port.recordEmergencyAccess(event.accessor as Hex, event.patientAddress as Hex, event.reasonHash as Hex);
          await this.outbox.markSent(event.seq, tx.txHash, tx.blockNumber);
        } catch (error) {
          // A refusal (the accessor lost its EMERGENCY role meanwhile) will never succeed: record it
          // and move on; anything else (chain unreachable) is retried on the next pass.
          if (!(error instanceof ConsentRejectedError)) throw error;
          this.onError(error);
          await this.outbox.markSent(event.seq, `rejected:${error.reason}`, null);
        }
      }
    }
  }
}
