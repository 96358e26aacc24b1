// The signaling protocol of a consult's WebSocket: what a participant may send, what the relay
// sends, and the close codes that say why a socket was closed. Pure: no I/O. Messages are JSON
// objects with exactly the fields below; anything else is malformed and closes the sender's
// socket (4400) without touching the room. The relay adds `from` itself: a sender never names it.

import type { GateRefusal, ParticipantRole } from './ports.js';

/** Close codes of the signaling socket (4000-4999 is the application range of RFC 6455). */
export const RelayCloseCode = {
  /** The participant left (an `end` without `to`), or the host shut down. */
  NORMAL: 1000,
  /** The connection stopped reading: more than the limit waits to be sent to it (RFC 6455: try again later). */
  BACKLOGGED: 1013,
  /** The same participant joined again on a newer socket. */
  SUPERSEDED: 4001,
  /** Not JSON, not an object, an unknown type, a missing or extra field. */
  MALFORMED: 4400,
  /** No join token, or one that is forged, expired, replayed, for another relay or another session. */
  BAD_TOKEN: 4401,
  /** Not (or no longer) a participant, not admitted yet, or an attempt to publish without the right (an observer's offer). */
  FORBIDDEN: 4403,
  /** No heartbeat (or any message) within the heartbeat timeout. */
  PRESENCE_TIMEOUT: 4408,
  /** The session is closed (completed, cancelled, no-show). */
  SESSION_CLOSED: 4409,
  /** The patient's consent was revoked or lapsed. */
  CONSENT_REVOKED: 4410,
  /** The practitioner's licence is revoked, expired or not valid for this role. */
  LICENCE_INVALID: 4411,
  /** The host withdrew the participant's invitation. */
  INVITATION_WITHDRAWN: 4412,
  /** A message above the size limit. */
  TOO_LARGE: 4413,
  /** Messages faster than the rate limit. */
  RATE_LIMITED: 4429,
  /** The relay failed to check the participant (the gate threw); joining again may work. */
  UNAVAILABLE: 4503,
} as const;

export type RelayCloseCodeValue = (typeof RelayCloseCode)[keyof typeof RelayCloseCode];

/** The close code a gate refusal (at join or as an ejection) ends a socket with. */
export function closeCodeOf(refusal: GateRefusal): RelayCloseCodeValue {
  switch (refusal) {
    case 'session-closed':
      return RelayCloseCode.SESSION_CLOSED;
    case 'consent-revoked':
      return RelayCloseCode.CONSENT_REVOKED;
    case 'licence-invalid':
      return RelayCloseCode.LICENCE_INVALID;
    case 'invitation-withdrawn':
      return RelayCloseCode.INVITATION_WITHDRAWN;
    case 'not-admitted':
    case 'not-a-participant':
      return RelayCloseCode.FORBIDDEN;
  }
}

export interface IceCandidateInit {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
  usernameFragment?: string | null;
}

/** What a participant sends. `to` names another participant of the room. */
export type InboundMessage =
  | { type: 'offer'; to: string; sdp: string }
  | { type: 'answer'; to: string; sdp: string }
  /** candidate null: end of candidates for that peer. */
  | { type: 'ice-candidate'; to: string; candidate: IceCandidateInit | null }
  /** With `to`: hang up on that peer. Without: leave the consult (the socket then closes with 1000). */
  | { type: 'end'; to?: string }
  | { type: 'heartbeat' };

export interface RoomMember {
  participantId: string;
  role: ParticipantRole;
}

export type PresenceState = 'joined' | 'left' | 'lost' | 'ejected';

/** What the relay sends. */
export type OutboundMessage =
  | { type: 'welcome'; sessionId: string; participantId: string; role: ParticipantRole; participants: RoomMember[]; heartbeatIntervalMs: number; maxMessageBytes: number }
  | { type: 'presence'; participantId: string; role: ParticipantRole; state: PresenceState }
  | { type: 'offer'; from: string; sdp: string }
  | { type: 'answer'; from: string; sdp: string }
  | { type: 'ice-candidate'; from: string; candidate: IceCandidateInit | null }
  | { type: 'end'; from: string }
  /** The `to` of a message is not in the room (it may just have left). */
  | { type: 'peer-unavailable'; to: string };

export type ParseResult = { ok: true; message: InboundMessage } | { ok: false; reason: string };

const PARTICIPANT_ID = /^[A-Za-z0-9._-]{1,128}$/;
const FIELDS: Record<InboundMessage['type'], { required: readonly string[]; optional: readonly string[] }> = {
  offer: { required: ['to', 'sdp'], optional: [] },
  answer: { required: ['to', 'sdp'], optional: [] },
  'ice-candidate': { required: ['to', 'candidate'], optional: [] },
  end: { required: [], optional: ['to'] },
  heartbeat: { required: [], optional: [] },
};
const CANDIDATE_FIELDS = new Set(['candidate', 'sdpMid', 'sdpMLineIndex', 'usernameFragment']);

/** Parses one text frame. Reasons name the offending field (never its content) and fit a close frame. */
export function parseInbound(text: string): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, reason: 'not a JSON object' };
  const record = value as Record<string, unknown>;
  const type = record.type;
  if (typeof type !== 'string' || !Object.hasOwn(FIELDS, type)) return { ok: false, reason: 'unknown type' };
  const fields = FIELDS[type as InboundMessage['type']];
  for (const key of Object.keys(record)) {
    if (key !== 'type' && !fields.required.includes(key) && !fields.optional.includes(key)) return { ok: false, reason: `unexpected field ${key.slice(0, 32)}` };
  }
  for (const key of fields.required) if (!(key in record)) return { ok: false, reason: `${type} needs ${key}` };
  if ('to' in record && (typeof record.to !== 'string' || !PARTICIPANT_ID.test(record.to))) return { ok: false, reason: 'to is not a participant id' };
  if ('sdp' in record && (typeof record.sdp !== 'string' || !record.sdp.startsWith('v=0'))) return { ok: false, reason: 'sdp is not a session description' };
  if (type === 'ice-candidate' && record.candidate !== null && !isCandidate(record.candidate)) return { ok: false, reason: 'candidate is not an ICE candidate' };
  return { ok: true, message: record as unknown as InboundMessage };
}

function isCandidate(value: unknown): value is IceCandidateInit {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const c = value as Record<string, unknown>;
  if (Object.keys(c).some((key) => !CANDIDATE_FIELDS.has(key))) return false;
  if (typeof c.candidate !== 'string') return false;
  if (c.sdpMid !== undefined && c.sdpMid !== null && typeof c.sdpMid !== 'string') return false;
  if (c.sdpMLineIndex !== undefined && c.sdpMLineIndex !== null && !(Number.isInteger(c.sdpMLineIndex) && (c.sdpMLineIndex as number) >= 0)) return false;
  return c.usernameFragment === undefined || c.usernameFragment === null || typeof c.usernameFragment === 'string';
}

/**
 * Whether a session description sends audio or video (RFC 8866 / RFC 3264 direction attributes):
 * an m=audio or m=video section is sending unless its direction, or the session-level default
 * before the first m= line, is recvonly or inactive; no attribute at all means sendrecv.
 */
export function sdpSendsMedia(sdp: string): boolean {
  let sessionDirection = 'sendrecv';
  let media: string | null = null;
  let direction: string | null = null;
  const sends = () => media !== null && (media === 'audio' || media === 'video') && ['sendrecv', 'sendonly'].includes(direction ?? sessionDirection);
  for (const raw of sdp.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('m=')) {
      if (sends()) return true;
      media = line.slice(2).split(' ')[0] ?? '';
      direction = null;
    } else if (/^a=(sendrecv|sendonly|recvonly|inactive)$/.test(line)) {
      if (media === null) sessionDirection = line.slice(2);
      else direction = line.slice(2);
    }
  }
  return sends();
}
