// The consult's TelehealthRegistry writes (open, invite, withdraw, escalate, close), sent in the
// background so no participant waits for a block. A state change queues its write in the same
// SQLite transaction that moves the state (telehealth-tables.ts), so an acknowledged change
// reaches the chain even after kill -9. Writes go out one at a time in the order they were
// decided (an invitation after its session's opening): a transient failure (chain unreachable)
// stops the pass and is retried; a refusal by the contract (e.g. the consent was revoked between
// check-in and inclusion) is final: it is recorded, reported, and when it is the opening, the
// session's later writes are given up and the workflow ends the session.

import type { Hex, LedgerTx, TelehealthPort } from '../ledger/ports.js';
import { TelehealthRejectedError } from '../ledger/telehealth-errors.js';
import type { ChainWrite, ChainWriteKind, TelehealthTables } from './telehealth-tables.js';

export type ChainWritePayload =
  | { kind: 'open'; sessionIdHash: Hex; homeMember: Hex; patient: Hex; consentGrantId: Hex }
  | { kind: 'invite'; sessionIdHash: Hex; invitedMember: Hex; practitionerHash: Hex; role: number }
  | { kind: 'withdraw'; sessionIdHash: Hex; invitedMember: Hex; practitionerHash: Hex }
  | { kind: 'escalate'; sessionIdHash: Hex; severity: number; reasonHash: Hex }
  | { kind: 'close'; sessionIdHash: Hex; finalState: number; eventLogRoot: Hex };

/** A write as the tables queue it: its kind and its arguments as JSON. */
export function queuedWrite(payload: ChainWritePayload): { kind: ChainWriteKind; payload: string } {
  return { kind: payload.kind, payload: JSON.stringify(payload) };
}

export interface ChainRejection {
  sessionId: string;
  kind: ChainWriteKind;
  /** The contract's error name without its prefix, e.g. 'ConsentRevoked'. */
  reason: string;
}

export interface ChainOutboxOptions {
  tables: TelehealthTables;
  port: TelehealthPort;
  /** Called once per refused write, after it is recorded. */
  onRejected: (rejection: ChainRejection) => void | Promise<void>;
  onError?: (error: unknown) => void;
  /** Retry interval while writes wait; default 1 s. */
  retryMs?: number;
  now?: () => number;
}

export class ChainOutbox {
  private flushing: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private failing = false;
  private readonly now: () => number;

  constructor(private readonly options: ChainOutboxOptions) {
    this.now = options.now ?? Date.now;
  }

  start(): void {
    this.stopped = false;
    this.timer = setInterval(() => void this.flush(), this.options.retryMs ?? 1_000);
    this.timer.unref();
    void this.flush();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.flushing;
  }

  /** Sends what waits, now; concurrent callers share the pass (one more runs if writes arrived meanwhile). */
  flush(): Promise<void> {
    if (this.flushing) {
      this.again = true;
      return this.flushing;
    }
    const pass = this.flushOnce()
      .then(() => {
        this.failing = false;
      })
      .catch((error) => {
        // Once per outage, not every retry.
        if (!this.failing) this.options.onError?.(error);
        this.failing = true;
      })
      .finally(() => {
        this.flushing = undefined;
        if (this.again && !this.stopped) {
          this.again = false;
          void this.flush();
        }
      });
    this.flushing = pass;
    return pass;
  }

  private async flushOnce(): Promise<void> {
    const { tables } = this.options;
    for (let batch = await tables.pendingWrites(64); batch.length > 0 && !this.stopped; batch = await tables.pendingWrites(64)) {
      for (const write of batch) {
        let tx: LedgerTx;
        try {
          tx = await this.send(write);
        } catch (error) {
          if (!(error instanceof TelehealthRejectedError)) {
            await tables.markWriteFailed(write.seq, error instanceof Error ? error.message : String(error));
            throw error;
          }
          await tables.markWriteRejected(write.seq, error.reason, this.now());
          if (write.kind === 'open') await tables.skipPendingWrites(write.sessionId, `the opening was refused: ${error.reason}`, this.now());
          await this.options.onRejected({ sessionId: write.sessionId, kind: write.kind, reason: error.reason });
          // The batch may hold writes just skipped: read the queue again.
          break;
        }
        await tables.markWriteSent(write.seq, tx.txHash, tx.blockNumber, this.now());
      }
    }
  }

  private send(write: ChainWrite): Promise<LedgerTx> {
    const { port } = this.options;
    const call = JSON.parse(write.payload) as ChainWritePayload;
    switch (call.kind) {
      case 'open':
        return port.openSession({ sessionIdHash: call.sessionIdHash, homeMember: call.homeMember, patient: call.patient, consentGrantId: call.consentGrantId });
      case 'invite':
        return port.invite(call.sessionIdHash, call.invitedMember, call.practitionerHash, call.role);
      case 'withdraw':
        return port.withdrawInvitation(call.sessionIdHash, call.invitedMember, call.practitionerHash);
      case 'escalate':
        return port.escalate(call.sessionIdHash, call.severity, call.reasonHash);
      case 'close':
        return port.closeSession(call.sessionIdHash, call.finalState, call.eventLogRoot);
    }
  }
}
