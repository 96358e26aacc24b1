// The seams inside the telehealth capability: the consult workflow (session-service), the join
// tokens and the signaling relay, the licence checks and the notifications are built apart and
// meet here. Everything a participant does after joining is re-checked against live state
// through SessionGate; nothing trusts an unexpired token alone.

import type { Hex } from '../ledger/ports.js';

/** Who a participant is in a consult. The host's provider admits; invited roles come from TelehealthRegistry. */
export type ParticipantRole = 'patient' | 'provider' | 'specialist' | 'second-opinion' | 'observer';

/** What a participant may do on the relay, carried in the join token and enforced by the relay. */
export interface ParticipantPermissions {
  /** May send media offers (observers never may). */
  publish: boolean;
  /** May send chat messages and files. */
  chat: boolean;
}

export interface Participant {
  /** Opaque id of this participant within the session (no PHI); the join token's `sub`. */
  participantId: string;
  role: ParticipantRole;
  /** The member the participant belongs to (bytes32 member id). */
  member: Hex;
  permissions: ParticipantPermissions;
}

/** Why a participant may not be (or stay) in a session; each maps to a status and a close code. */
export type GateRefusal =
  | 'session-closed'
  | 'not-admitted'
  | 'not-a-participant'
  | 'invitation-withdrawn'
  | 'consent-revoked'
  | 'licence-invalid';

export type GateDecision = { ok: true; participant: Participant } | { ok: false; refusal: GateRefusal; detail: string };

/** Live checks of the consult workflow, run on every join and re-join (and while connected). */
export interface SessionGate {
  check(sessionId: string, participantId: string): Promise<GateDecision>;
}

/** A participant (or everyone, participantId null) that must leave a session now. */
export interface Ejection {
  sessionId: string;
  participantId: string | null;
  refusal: GateRefusal;
}

/** Where the relay learns that people must be disconnected (revoked consent or licence, session closed). */
export interface EjectionFeed {
  onEjection(listener: (ejection: Ejection) => void): () => void;
}

/** Server-sent notifications per participant. */
export type ConsultNotice =
  | { kind: 'waiting-room'; sessionId: string; waiting: number }
  | { kind: 'provider-ready'; sessionId: string }
  | { kind: 'admitted'; sessionId: string }
  | { kind: 'invited'; sessionId: string; role: ParticipantRole }
  | { kind: 'escalation'; sessionId: string; severity: number }
  | { kind: 'ended'; sessionId: string; state: string }
  /** A chat message or file was posted (read it with GET .../messages; the notice carries no content). */
  | { kind: 'message'; sessionId: string; messageId: string; from: string };

export interface ConsultNotifier {
  /** participantId null: everyone connected to the session's notifications. */
  notify(sessionId: string, participantId: string | null, notice: ConsultNotice): void;
}
