// What the consult workflow keeps beside the FHIR record, as ports (implemented in SQLite by
// gateway/store/telehealth-store.ts): the session's state machine row, who takes part, the slot
// holds that make a booking race-free, the digests of the session's AuditEvents (whose Merkle
// root closes the session on chain) and the durable chain outbox. Nothing here is PHI in the
// clear: patients appear as pseudonymous addresses, practitioners of other members as hashes
// and ids their own member issued.

import type { Hex } from '../ledger/ports.js';
import type { ConsultState } from './consult-states.js';
import type { ParticipantRole } from './ports.js';

export interface SessionRow {
  /** Opaque random id: Appointment/Encounter.virtualService.sessionKey. */
  sessionId: string;
  state: ConsultState;
  /** Bumped by every transition: a compare-and-set guard against lost updates. */
  version: number;
  appointmentId: string;
  encounterId: string;
  slotId: string;
  /** The host's practitioner who runs the consult (Practitioner id at the host). */
  practitionerId: string;
  patientAddress: Hex;
  homeMember: Hex;
  /** The consent grant found at check-in, null before. */
  consentGrantId: Hex | null;
  /** Why a session ended other than by completion (consent revoked, rejected on chain...). */
  endReason: string | null;
  createdAt: number;
  updatedAt: number;
}

export type ParticipantStatus = 'invited' | 'withdrawn';

export interface ParticipantRow {
  sessionId: string;
  participantId: string;
  role: ParticipantRole;
  member: Hex;
  /** practitionerHash(member, practitionerId) for practitioners, null for the patient. */
  practitionerHash: Hex | null;
  /** The practitioner's id at their member, null for the patient. */
  practitionerId: string | null;
  /** The practitioner's licence key (address), the licence credential's subject; null when not needed. */
  licenceSubject: Hex | null;
  status: ParticipantStatus;
  createdAt: number;
}

export type ChainWriteKind = 'open' | 'invite' | 'withdraw' | 'escalate' | 'close';

export interface ChainWrite {
  seq: number;
  sessionId: string;
  kind: ChainWriteKind;
  /** The call's arguments as JSON (hashes, member ids, numbers: no PHI). */
  payload: string;
  attempts: number;
}

export type ChainWriteStatus =
  | { status: 'pending'; attempts: number }
  | { status: 'sent'; txHash: Hex; blockNumber: number }
  | { status: 'rejected'; reason: string }
  | { status: 'skipped'; reason: string };

export interface TransitionCommit {
  sessionId: string;
  /** The version the caller read; the commit fails (returns false) when another moved it. */
  fromVersion: number;
  state: ConsultState;
  consentGrantId?: Hex;
  endReason?: string;
  now: number;
  /** The AuditEvent of the change, appended to the session's event log in the same transaction. */
  event?: { auditEventId: string; digest: Hex };
  /** Chain writes queued in the same transaction as the state change. */
  writes?: Array<{ kind: ChainWriteKind; payload: string }>;
}

export interface TelehealthTables {
  /** Claims the slot for a session; false when another session holds it. Atomic. */
  holdSlot(slotId: string, sessionId: string, now: number): Promise<boolean>;
  releaseSlot(slotId: string, sessionId: string): Promise<void>;

  insertSession(row: SessionRow): Promise<void>;
  session(sessionId: string): Promise<SessionRow | null>;
  sessionByAppointment(appointmentId: string): Promise<SessionRow | null>;
  /** Newest first. */
  sessions(filter: { states?: readonly ConsultState[]; patientAddress?: Hex; limit: number }): Promise<SessionRow[]>;
  /** State change and its chain writes in one transaction; false when the version moved. */
  commitTransition(commit: TransitionCommit): Promise<boolean>;
  /** Queues chain writes outside a transition (invitations, escalations). */
  queueWrites(sessionId: string, writes: Array<{ kind: ChainWriteKind; payload: string }>, now: number): Promise<void>;

  putParticipant(row: ParticipantRow): Promise<void>;
  participant(sessionId: string, participantId: string): Promise<ParticipantRow | null>;
  participants(sessionId: string): Promise<ParticipantRow[]>;
  setParticipantStatus(sessionId: string, participantId: string, status: ParticipantStatus): Promise<void>;

  /** Appends the digest of one of the session's AuditEvents to its event log. */
  appendEvent(sessionId: string, auditEventId: string, digest: Hex, now: number): Promise<void>;
  /** The session's events in the order they were logged. */
  events(sessionId: string): Promise<Array<{ auditEventId: string; digest: Hex; recordedAt: number }>>;

  /** Pending chain writes, oldest first. */
  pendingWrites(limit: number): Promise<ChainWrite[]>;
  markWriteSent(seq: number, txHash: Hex, blockNumber: number, now: number): Promise<void>;
  markWriteFailed(seq: number, error: string): Promise<void>;
  markWriteRejected(seq: number, reason: string, now: number): Promise<void>;
  /** Gives up every pending write of a session (after the contract refused its opening). */
  skipPendingWrites(sessionId: string, reason: string, now: number): Promise<number>;
  writesOf(sessionId: string): Promise<Array<{ seq: number; kind: ChainWriteKind } & ChainWriteStatus>>;
  /** How many writes wait, and the age (ms) of the oldest. */
  backlog(now: number): Promise<{ pending: number; oldestMs: number }>;
}
