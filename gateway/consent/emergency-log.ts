// Break-glass events on chain. The read is served as soon as its AuditEvent is durable (an
// emergency must not wait for a block, nor fail because the chain is briefly unreachable); the
// EmergencyAccessed event goes through this durable outbox and is retried until it lands.

import { ConsentRejectedError } from '../ledger/consent-errors.js';
import type { ConsentPort, Hex } from '../ledger/ports.js';
import type { Db } from '../store/database.js';
import { ensureConsentSchema } from './consent-schema.js';

export interface EmergencyRecord {
  accessor: Hex;
  patientAddress: Hex;
  reasonHash: Hex;
  auditEventId: string;
}

interface Row {
  seq: number;
  accessor: string;
  patient_address: string;
  reason_hash: string;
}

export class EmergencyLog {
  private readonly statements;
  private flushing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    db: Db,
    private readonly port: ConsentPort,
    private readonly onError: (error: unknown) => void = () => undefined,
    private readonly retryMs = 2_000,
  ) {
    ensureConsentSchema(db);
    this.statements = {
      insert: db.prepare(
        'INSERT INTO consent_emergency_outbox (accessor, patient_address, reason_hash, audit_event_id, created_at) VALUES (?, ?, ?, ?, ?)',
      ),
      pending: db.prepare('SELECT seq, accessor, patient_address, reason_hash FROM consent_emergency_outbox WHERE tx_hash IS NULL ORDER BY seq'),
      sent: db.prepare('UPDATE consent_emergency_outbox SET tx_hash = ?, block_number = ? WHERE seq = ?'),
      byAudit: db.prepare('SELECT tx_hash, block_number FROM consent_emergency_outbox WHERE audit_event_id = ?'),
    };
  }

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.retryMs);
    this.timer.unref();
    void this.flush();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flushing;
  }

  enqueue(record: EmergencyRecord): void {
    this.statements.insert.run(record.accessor, record.patientAddress, record.reasonHash, record.auditEventId, Date.now());
    void this.flush();
  }

  /** The chain transaction that logged the break-glass read of an AuditEvent, once it landed. */
  txFor(auditEventId: string): { txHash: Hex; blockNumber: number } | null {
    const row = this.statements.byAudit.get(auditEventId) as { tx_hash: string | null; block_number: number | null } | undefined;
    return row?.tx_hash?.startsWith('0x') ? { txHash: row.tx_hash as Hex, blockNumber: row.block_number! } : null;
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
    for (let rows = this.statements.pending.all() as Row[]; rows.length > 0; rows = this.statements.pending.all() as Row[]) {
      for (const row of rows) {
        try {
          const tx = await this.port.recordEmergencyAccess(row.accessor as Hex, row.patient_address as Hex, row.reason_hash as Hex);
          this.statements.sent.run(tx.txHash, tx.blockNumber, row.seq);
        } catch (error) {
          // A refusal (the accessor lost its EMERGENCY role meanwhile) will never succeed: record it
          // and move on; anything else (chain unreachable) is retried on the next pass.
          if (!(error instanceof ConsentRejectedError)) throw error;
          this.onError(error);
          this.statements.sent.run(`rejected:${error.reason}`, null, row.seq);
        }
      }
    }
  }
}
