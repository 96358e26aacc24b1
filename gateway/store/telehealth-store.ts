// The consult workflow's tables in SQLite (schema/telehealth.ts), behind the port the workflow
// declares (gateway/telehealth/telehealth-tables.ts). Statements are prepared once; better-sqlite3
// runs each synchronously, which is what makes a slot hold and a version compare-and-set atomic.
// Writes commit with synchronous=FULL (database.ts): a queued chain write survives kill -9.

import type { Hex } from '../ledger/ports.js';
import type { ConsultState } from '../telehealth/consult-states.js';
import type { ParticipantRole } from '../telehealth/ports.js';
import type {
  ChainWrite,
  ChainWriteKind,
  ChainWriteStatus,
  ParticipantRow,
  ParticipantStatus,
  SessionRow,
  TelehealthTables,
  TransitionCommit,
} from '../telehealth/telehealth-tables.js';
import type { Db } from './database.js';

interface SessionDbRow {
  session_id: string;
  state: ConsultState;
  version: number;
  appointment_id: string;
  encounter_id: string;
  slot_id: string;
  practitioner_id: string;
  patient_address: string;
  home_member: string;
  consent_grant_id: string | null;
  end_reason: string | null;
  created_at: number;
  updated_at: number;
}

interface ParticipantDbRow {
  session_id: string;
  participant_id: string;
  role: ParticipantRole;
  member: string;
  practitioner_hash: string | null;
  practitioner_id: string | null;
  licence_subject: string | null;
  status: ParticipantStatus;
  created_at: number;
}

const SESSION_COLUMNS =
  'session_id, state, version, appointment_id, encounter_id, slot_id, practitioner_id, patient_address, home_member, consent_grant_id, end_reason, created_at, updated_at';

export function openTelehealthTables(db: Db): TelehealthTables {
  return new SqliteTelehealthTables(db);
}

class SqliteTelehealthTables implements TelehealthTables {
  private readonly s;
  private readonly commitTx: (commit: TransitionCommit) => boolean;
  private readonly queueTx: (sessionId: string, writes: Array<{ kind: ChainWriteKind; payload: string }>, now: number) => void;

  constructor(private readonly db: Db) {
    this.s = {
      hold: db.prepare('INSERT INTO telehealth_slot_holds (slot_id, session_id, held_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING'),
      release: db.prepare('DELETE FROM telehealth_slot_holds WHERE slot_id = ? AND session_id = ?'),
      insertSession: db.prepare(`INSERT INTO telehealth_sessions (${SESSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      session: db.prepare(`SELECT ${SESSION_COLUMNS} FROM telehealth_sessions WHERE session_id = ?`),
      byAppointment: db.prepare(`SELECT ${SESSION_COLUMNS} FROM telehealth_sessions WHERE appointment_id = ?`),
      transition: db.prepare(
        `UPDATE telehealth_sessions SET state = ?, version = version + 1, updated_at = ?,
           consent_grant_id = COALESCE(?, consent_grant_id), end_reason = COALESCE(?, end_reason)
         WHERE session_id = ? AND version = ?`,
      ),
      putParticipant: db.prepare(
        `INSERT INTO telehealth_participants (session_id, participant_id, role, member, practitioner_hash, practitioner_id, licence_subject, status, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (session_id, participant_id) DO UPDATE SET role = excluded.role, licence_subject = excluded.licence_subject, status = excluded.status`,
      ),
      participant: db.prepare('SELECT * FROM telehealth_participants WHERE session_id = ? AND participant_id = ?'),
      participants: db.prepare('SELECT * FROM telehealth_participants WHERE session_id = ? ORDER BY created_at, rowid'),
      participantStatus: db.prepare('UPDATE telehealth_participants SET status = ? WHERE session_id = ? AND participant_id = ?'),
      appendEvent: db.prepare('INSERT INTO telehealth_events (session_id, audit_event_id, digest, recorded_at) VALUES (?, ?, ?, ?)'),
      events: db.prepare('SELECT audit_event_id, digest, recorded_at FROM telehealth_events WHERE session_id = ? ORDER BY seq'),
      queue: db.prepare('INSERT INTO telehealth_chain_outbox (session_id, kind, payload, created_at) VALUES (?, ?, ?, ?)'),
      pending: db.prepare("SELECT seq, session_id, kind, payload, attempts FROM telehealth_chain_outbox WHERE status = 'pending' ORDER BY seq LIMIT ?"),
      sent: db.prepare("UPDATE telehealth_chain_outbox SET status = 'sent', tx_hash = ?, block_number = ?, done_at = ?, attempts = attempts + 1 WHERE seq = ?"),
      failed: db.prepare('UPDATE telehealth_chain_outbox SET attempts = attempts + 1, last_error = ? WHERE seq = ?'),
      rejected: db.prepare("UPDATE telehealth_chain_outbox SET status = 'rejected', reason = ?, done_at = ?, attempts = attempts + 1 WHERE seq = ?"),
      skip: db.prepare("UPDATE telehealth_chain_outbox SET status = 'skipped', reason = ?, done_at = ? WHERE session_id = ? AND status = 'pending'"),
      writesOf: db.prepare('SELECT seq, kind, status, attempts, reason, tx_hash, block_number FROM telehealth_chain_outbox WHERE session_id = ? ORDER BY seq'),
      backlog: db.prepare("SELECT COUNT(*) AS pending, MIN(created_at) AS oldest FROM telehealth_chain_outbox WHERE status = 'pending'"),
    };
    this.commitTx = db.transaction((commit: TransitionCommit): boolean => {
      const moved = this.s.transition.run(commit.state, commit.now, commit.consentGrantId ?? null, commit.endReason ?? null, commit.sessionId, commit.fromVersion);
      if (moved.changes !== 1) return false;
      if (commit.event) this.s.appendEvent.run(commit.sessionId, commit.event.auditEventId, commit.event.digest, commit.now);
      for (const write of commit.writes ?? []) this.s.queue.run(commit.sessionId, write.kind, write.payload, commit.now);
      return true;
    });
    this.queueTx = db.transaction((sessionId: string, writes: Array<{ kind: ChainWriteKind; payload: string }>, now: number) => {
      for (const write of writes) this.s.queue.run(sessionId, write.kind, write.payload, now);
    });
  }

  async holdSlot(slotId: string, sessionId: string, now: number): Promise<boolean> {
    return this.s.hold.run(slotId, sessionId, now).changes === 1;
  }

  async releaseSlot(slotId: string, sessionId: string): Promise<void> {
    this.s.release.run(slotId, sessionId);
  }

  async insertSession(row: SessionRow): Promise<void> {
    this.s.insertSession.run(
      row.sessionId,
      row.state,
      row.version,
      row.appointmentId,
      row.encounterId,
      row.slotId,
      row.practitionerId,
      row.patientAddress,
      row.homeMember,
      row.consentGrantId,
      row.endReason,
      row.createdAt,
      row.updatedAt,
    );
  }

  async session(sessionId: string): Promise<SessionRow | null> {
    const row = this.s.session.get(sessionId) as SessionDbRow | undefined;
    return row ? toSession(row) : null;
  }

  async sessionByAppointment(appointmentId: string): Promise<SessionRow | null> {
    const row = this.s.byAppointment.get(appointmentId) as SessionDbRow | undefined;
    return row ? toSession(row) : null;
  }

  async sessions(filter: { states?: readonly ConsultState[]; patientAddress?: Hex; limit: number }): Promise<SessionRow[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.states?.length) {
      where.push(`state IN (${filter.states.map(() => '?').join(', ')})`);
      args.push(...filter.states);
    }
    if (filter.patientAddress) {
      where.push('patient_address = ?');
      args.push(filter.patientAddress);
    }
    const sql = `SELECT ${SESSION_COLUMNS} FROM telehealth_sessions ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, rowid DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...args, filter.limit) as SessionDbRow[]).map(toSession);
  }

  async commitTransition(commit: TransitionCommit): Promise<boolean> {
    return this.commitTx(commit);
  }

  async queueWrites(sessionId: string, writes: Array<{ kind: ChainWriteKind; payload: string }>, now: number): Promise<void> {
    this.queueTx(sessionId, writes, now);
  }

  async putParticipant(row: ParticipantRow): Promise<void> {
    this.s.putParticipant.run(
      row.sessionId,
      row.participantId,
      row.role,
      row.member,
      row.practitionerHash,
      row.practitionerId,
      row.licenceSubject,
      row.status,
      row.createdAt,
    );
  }

  async participant(sessionId: string, participantId: string): Promise<ParticipantRow | null> {
    const row = this.s.participant.get(sessionId, participantId) as ParticipantDbRow | undefined;
    return row ? toParticipant(row) : null;
  }

  async participants(sessionId: string): Promise<ParticipantRow[]> {
    return (this.s.participants.all(sessionId) as ParticipantDbRow[]).map(toParticipant);
  }

  async setParticipantStatus(sessionId: string, participantId: string, status: ParticipantStatus): Promise<void> {
    this.s.participantStatus.run(status, sessionId, participantId);
  }

  async appendEvent(sessionId: string, auditEventId: string, digest: Hex, now: number): Promise<void> {
    this.s.appendEvent.run(sessionId, auditEventId, digest, now);
  }

  async events(sessionId: string): Promise<Array<{ auditEventId: string; digest: Hex; recordedAt: number }>> {
    const rows = this.s.events.all(sessionId) as Array<{ audit_event_id: string; digest: string; recorded_at: number }>;
    return rows.map((row) => ({ auditEventId: row.audit_event_id, digest: row.digest as Hex, recordedAt: row.recorded_at }));
  }

  async pendingWrites(limit: number): Promise<ChainWrite[]> {
    const rows = this.s.pending.all(limit) as Array<{ seq: number; session_id: string; kind: ChainWriteKind; payload: string; attempts: number }>;
    return rows.map((row) => ({ seq: row.seq, sessionId: row.session_id, kind: row.kind, payload: row.payload, attempts: row.attempts }));
  }

  async markWriteSent(seq: number, txHash: Hex, blockNumber: number, now: number): Promise<void> {
    this.s.sent.run(txHash, blockNumber, now, seq);
  }

  async markWriteFailed(seq: number, error: string): Promise<void> {
    this.s.failed.run(error.slice(0, 500), seq);
  }

  async markWriteRejected(seq: number, reason: string, now: number): Promise<void> {
    this.s.rejected.run(reason, now, seq);
  }

  async skipPendingWrites(sessionId: string, reason: string, now: number): Promise<number> {
    return this.s.skip.run(reason, now, sessionId).changes;
  }

  async writesOf(sessionId: string): Promise<Array<{ seq: number; kind: ChainWriteKind } & ChainWriteStatus>> {
    const rows = this.s.writesOf.all(sessionId) as Array<{
      seq: number;
      kind: ChainWriteKind;
      status: ChainWriteStatus['status'];
      attempts: number;
      reason: string | null;
      tx_hash: string | null;
      block_number: number | null;
    }>;
    return rows.map((row) => {
      const base = { seq: row.seq, kind: row.kind };
      if (row.status === 'sent') return { ...base, status: 'sent', txHash: row.tx_hash as Hex, blockNumber: row.block_number! };
      if (row.status === 'pending') return { ...base, status: 'pending', attempts: row.attempts };
      return { ...base, status: row.status, reason: row.reason ?? '' };
    });
  }

  async backlog(now: number): Promise<{ pending: number; oldestMs: number }> {
    const row = this.s.backlog.get() as { pending: number; oldest: number | null };
    return { pending: row.pending, oldestMs: row.oldest === null ? 0 : Math.max(0, now - row.oldest) };
  }
}

function toSession(row: SessionDbRow): SessionRow {
  return {
    sessionId: row.session_id,
    state: row.state,
    version: row.version,
    appointmentId: row.appointment_id,
    encounterId: row.encounter_id,
    slotId: row.slot_id,
    practitionerId: row.practitioner_id,
    patientAddress: row.patient_address as Hex,
    homeMember: row.home_member as Hex,
    consentGrantId: row.consent_grant_id as Hex | null,
    endReason: row.end_reason,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toParticipant(row: ParticipantDbRow): ParticipantRow {
  return {
    sessionId: row.session_id,
    participantId: row.participant_id,
    role: row.role,
    member: row.member as Hex,
    practitionerHash: row.practitioner_hash as Hex | null,
    practitionerId: row.practitioner_id,
    licenceSubject: row.licence_subject as Hex | null,
    status: row.status,
    createdAt: row.created_at,
  };
}
