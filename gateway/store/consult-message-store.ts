// The telehealth messages and the visit-note outbox in SQLite (schema/telehealth-messages.ts),
// behind the ports their callers declare (telehealth/consult-messages.ts,
// telehealth/visit-note-delivery.ts). Statements are prepared once; methods are async so a
// replicated store can implement the same ports.

import type { ConsultMessageTable, StoredConsultMessage } from '../telehealth/consult-messages.js';
import type { OutboxNote, VisitNoteOutbox } from '../telehealth/visit-note-delivery.js';
import type { Db } from './database.js';

export function openConsultMessageStore(db: Db): { messages: ConsultMessageTable; outbox: VisitNoteOutbox } {
  return { messages: new SqliteConsultMessageTable(db), outbox: new SqliteVisitNoteOutbox(db) };
}

interface MessageRow {
  message_id: string;
  session_id: string;
  channel: 'consultation';
  sender: string;
  sender_role: StoredConsultMessage['senderRole'];
  kind: StoredConsultMessage['kind'];
  content_type: string;
  size: number;
  compartment: string;
  wrapped_key: Buffer | null;
  sealed: Buffer | null;
  communication: string;
  created_at: number;
  expires_at: number;
  shredded_at: number | null;
}

const MESSAGE_COLUMNS =
  'message_id, session_id, channel, sender, sender_role, kind, content_type, size, compartment, wrapped_key, sealed, communication, created_at, expires_at, shredded_at';

class SqliteConsultMessageTable implements ConsultMessageTable {
  private readonly statements;
  private readonly shredAll;

  constructor(db: Db) {
    this.statements = {
      insert: db.prepare(`INSERT INTO consult_messages (${MESSAGE_COLUMNS}) VALUES (${MESSAGE_COLUMNS.split(',').map(() => '?').join(', ')})`),
      list: db.prepare(`SELECT ${MESSAGE_COLUMNS} FROM consult_messages WHERE session_id = ? ORDER BY created_at, rowid`),
      get: db.prepare(`SELECT ${MESSAGE_COLUMNS} FROM consult_messages WHERE session_id = ? AND message_id = ?`),
      expired: db.prepare(
        'SELECT message_id, created_at FROM consult_messages WHERE shredded_at IS NULL AND expires_at <= ? ORDER BY expires_at, rowid LIMIT ?',
      ),
      shred: db.prepare('UPDATE consult_messages SET wrapped_key = NULL, sealed = NULL, shredded_at = ? WHERE message_id = ? AND shredded_at IS NULL'),
    };
    this.shredAll = db.transaction((ids: readonly string[], now: number) => {
      let changed = 0;
      for (const id of ids) changed += this.statements.shred.run(now, id).changes;
      return changed;
    });
  }

  async insert(m: StoredConsultMessage): Promise<void> {
    this.statements.insert.run(
      m.messageId,
      m.sessionId,
      m.channel,
      m.sender,
      m.senderRole,
      m.kind,
      m.contentType,
      m.size,
      m.compartment,
      m.wrappedKey,
      m.sealed,
      m.communication,
      m.createdAt,
      m.expiresAt,
      m.shreddedAt,
    );
  }

  async list(sessionId: string): Promise<StoredConsultMessage[]> {
    return (this.statements.list.all(sessionId) as MessageRow[]).map(toMessage);
  }

  async get(sessionId: string, messageId: string): Promise<StoredConsultMessage | null> {
    const row = this.statements.get.get(sessionId, messageId) as MessageRow | undefined;
    return row ? toMessage(row) : null;
  }

  async expired(now: number, limit: number): Promise<Array<{ messageId: string; createdAt: number }>> {
    return (this.statements.expired.all(now, limit) as Array<{ message_id: string; created_at: number }>).map((row) => ({
      messageId: row.message_id,
      createdAt: row.created_at,
    }));
  }

  async shred(messageIds: readonly string[], now: number): Promise<number> {
    return this.shredAll(messageIds, now);
  }
}

function toMessage(row: MessageRow): StoredConsultMessage {
  return {
    messageId: row.message_id,
    sessionId: row.session_id,
    channel: row.channel,
    sender: row.sender,
    senderRole: row.sender_role,
    kind: row.kind,
    contentType: row.content_type,
    size: row.size,
    compartment: row.compartment,
    wrappedKey: row.wrapped_key,
    sealed: row.sealed,
    communication: row.communication,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    shreddedAt: row.shredded_at,
  };
}

interface OutboxRow {
  note_id: string;
  note_version: string;
  home_member: string;
  patient_address: string;
  consent_grant_id: string;
  practitioner_id: string;
  status: OutboxNote['status'];
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  delivered_ref: string | null;
}

const OUTBOX_COLUMNS =
  'note_id, note_version, home_member, patient_address, consent_grant_id, practitioner_id, status, attempts, next_attempt_at, last_error, delivered_ref';

class SqliteVisitNoteOutbox implements VisitNoteOutbox {
  private readonly statements;

  constructor(db: Db) {
    this.statements = {
      enqueue: db.prepare(
        `INSERT INTO visit_note_outbox (note_id, note_version, home_member, patient_address, consent_grant_id, practitioner_id, status, attempts, next_attempt_at, created_at)
         VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?) ON CONFLICT (note_id, note_version) DO NOTHING`,
      ),
      due: db.prepare(`SELECT ${OUTBOX_COLUMNS} FROM visit_note_outbox WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?`),
      get: db.prepare(`SELECT ${OUTBOX_COLUMNS} FROM visit_note_outbox WHERE note_id = ? AND note_version = ?`),
      delivered: db.prepare("UPDATE visit_note_outbox SET status = 'delivered', attempts = attempts + 1, delivered_ref = ?, last_error = NULL WHERE note_id = ? AND note_version = ? AND status = 'pending'"),
      refused: db.prepare("UPDATE visit_note_outbox SET status = 'refused', attempts = attempts + 1, last_error = ? WHERE note_id = ? AND note_version = ? AND status = 'pending'"),
      retry: db.prepare("UPDATE visit_note_outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE note_id = ? AND note_version = ? AND status = 'pending'"),
    };
  }

  async enqueue(note: Omit<OutboxNote, 'status' | 'attempts' | 'lastError' | 'deliveredRef' | 'nextAttemptAt'>, now: number): Promise<void> {
    this.statements.enqueue.run(note.noteId, note.noteVersion, note.homeMember, note.patientAddress, note.consentGrantId, note.practitionerId, now, now);
  }

  async due(now: number, limit: number): Promise<OutboxNote[]> {
    return (this.statements.due.all(now, limit) as OutboxRow[]).map(toOutboxNote);
  }

  async get(noteId: string, noteVersion: string): Promise<OutboxNote | null> {
    const row = this.statements.get.get(noteId, noteVersion) as OutboxRow | undefined;
    return row ? toOutboxNote(row) : null;
  }

  async markDelivered(noteId: string, noteVersion: string, deliveredRef: string): Promise<void> {
    this.statements.delivered.run(deliveredRef, noteId, noteVersion);
  }

  async markRefused(noteId: string, noteVersion: string, error: string): Promise<void> {
    this.statements.refused.run(error, noteId, noteVersion);
  }

  async retryAt(noteId: string, noteVersion: string, nextAttemptAt: number, error: string): Promise<void> {
    this.statements.retry.run(nextAttemptAt, error, noteId, noteVersion);
  }
}

function toOutboxNote(row: OutboxRow): OutboxNote {
  return {
    noteId: row.note_id,
    noteVersion: row.note_version,
    homeMember: row.home_member as OutboxNote['homeMember'],
    patientAddress: row.patient_address as OutboxNote['patientAddress'],
    consentGrantId: row.consent_grant_id as OutboxNote['consentGrantId'],
    practitionerId: row.practitioner_id,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    lastError: row.last_error,
    deliveredRef: row.delivered_ref,
  };
}
