// Join tokens: what lets a participant open the signaling socket of one consult, and notification
// tokens: what lets them open its event stream. Both are compact JWS signed EdDSA (Ed25519) by the
// host node with a key derived from its vault master key (HKDF, its own label): only the host ever
// verifies them, so no new secret has to be stored, backed up or rotated apart from the master
// key, tokens issued before a restart still verify after it, and Ed25519 signs and verifies in
// tens of microseconds (secp256k1 through ethers, the member key's curve, costs milliseconds).
// A join token is bound to the session (`sid`), the participant (`sub`), the role and permissions,
// the host's relay (`aud`), lives at most 10 minutes and is single use: its `jti` is claimed in
// SQLite on redemption, so a restart does not reopen replays. A token only gets a participant to
// the door: the relay asks SessionGate about live state on every join, and a re-join needs a new
// token. A notification token may be presented again until it expires (an event stream
// reconnects after a network blip) and grants only the participant's own notices.

import { type KeyObject, createPrivateKey, createPublicKey, hkdfSync, randomUUID } from 'node:crypto';
import { SignJWT, errors, jwtVerify, type JWTPayload } from 'jose';
import type { Hex } from '../ledger/ports.js';
import type { Participant, ParticipantPermissions, ParticipantRole } from './ports.js';

/** The jti ledger of redeemed join tokens (implemented in gateway/store/join-token-store.ts). */
export interface JoinTokenIds {
  /** False when the jti was claimed before (a replay). Atomic: two redemptions cannot both win. */
  claim(jti: string, expiresAt: number): Promise<boolean>;
  /** Forgets jtis whose token expired at or before `now` (ms): an expired token is refused anyway. */
  purgeExpired(now: number): Promise<number>;
}

export const JOIN_TOKEN_DEFAULT_TTL_SECONDS = 300;
export const JOIN_TOKEN_MAX_TTL_SECONDS = 600;
/** Clock difference tolerated between the host's processes (and its NTP steps) on exp and iat. */
const CLOCK_SKEW_SECONDS = 5;
const ALG = 'EdDSA';
const JOIN_TYP = 'careledger-telehealth-join+jwt';
const NOTIFY_TYP = 'careledger-telehealth-notify+jwt';
const KEY_LABEL = 'careledger telehealth join-token ed25519 v1';
/** PKCS#8 DER header of an Ed25519 private key; the 32-byte seed follows it. */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const PURGE_INTERVAL_MS = 60_000;
const PARTICIPANT_ID = /^[A-Za-z0-9._-]{1,128}$/;
const SESSION_ID = /^[A-Za-z0-9_-]{16,128}$/;
const ROLES: readonly ParticipantRole[] = ['patient', 'provider', 'specialist', 'second-opinion', 'observer'];

/** The host's token key: Ed25519 from HKDF-SHA256 over the vault master key. */
export function deriveJoinTokenKey(masterKey: Buffer): KeyObject {
  const seed = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), KEY_LABEL, 32));
  return createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

export interface JoinTokenOptions {
  /** Ed25519 private key (deriveJoinTokenKey). */
  key: KeyObject;
  /** The host node: its public URL (the tokens' `iss`). */
  issuer: string;
  /** The host's relay base, e.g. `${publicUrl}/telehealth` (the tokens' `aud`). */
  audience: string;
  ids: JoinTokenIds;
  /** Lifetime of a token unless the caller asks for less; at most 600. Default 300. */
  ttlSeconds?: number;
  /** Milliseconds since the epoch. */
  now?: () => number;
}

export interface IssuedToken {
  token: string;
  jti: string;
  /** Seconds since the epoch. */
  expiresAt: number;
}

export interface JoinClaims {
  sessionId: string;
  participant: Participant;
  jti: string;
  expiresAt: number;
}

export type TokenRefusal = 'malformed' | 'bad-signature' | 'expired' | 'wrong-audience' | 'wrong-kind' | 'other-session' | 'replayed';

export type RedeemResult = { ok: true; claims: JoinClaims } | { ok: false; refusal: TokenRefusal; detail: string };

export class JoinTokens {
  private readonly publicKey: KeyObject;
  private readonly ttlSeconds: number;
  private readonly now: () => number;
  private lastPurge = 0;

  constructor(private readonly options: JoinTokenOptions) {
    if (options.key.asymmetricKeyType !== 'ed25519' || options.key.type !== 'private') {
      throw new Error('join tokens need an Ed25519 private key (deriveJoinTokenKey)');
    }
    this.publicKey = createPublicKey(options.key);
    this.ttlSeconds = checkedTtl(options.ttlSeconds ?? JOIN_TOKEN_DEFAULT_TTL_SECONDS);
    this.now = options.now ?? Date.now;
  }

  /** A single-use token that admits `participant` to the signaling socket of `sessionId`. */
  async issue(sessionId: string, participant: Participant, ttlSeconds?: number): Promise<IssuedToken> {
    checkSubject(sessionId, participant.participantId);
    return this.sign(JOIN_TYP, sessionId, participant, ttlSeconds);
  }

  /** A token for the participant's event stream of `sessionId` (reusable until it expires). */
  async issueNotificationToken(sessionId: string, participant: Participant, ttlSeconds?: number): Promise<IssuedToken> {
    checkSubject(sessionId, participant.participantId);
    return this.sign(NOTIFY_TYP, sessionId, participant, ttlSeconds);
  }

  /**
   * Checks a join token presented on `sessionId`'s socket and consumes it. Verification comes
   * first, so a forged or expired token never writes a jti.
   */
  async redeem(token: string, sessionId: string): Promise<RedeemResult> {
    const verified = await this.verify(token, sessionId, JOIN_TYP);
    if (!verified.ok) return verified;
    await this.purgeNowAndThen();
    if (!(await this.options.ids.claim(verified.claims.jti, verified.claims.expiresAt * 1000))) {
      return { ok: false, refusal: 'replayed', detail: 'this join token was used already; ask the host for a new one' };
    }
    return verified;
  }

  /** Checks a notification token presented on `sessionId`'s event stream; consumes nothing. */
  verifyNotificationToken(token: string, sessionId: string): Promise<RedeemResult> {
    return this.verify(token, sessionId, NOTIFY_TYP);
  }

  private async sign(typ: string, sessionId: string, participant: Participant, ttlSeconds?: number): Promise<IssuedToken> {
    const ttl = Math.min(checkedTtl(ttlSeconds ?? this.ttlSeconds), this.ttlSeconds);
    const issuedAt = Math.floor(this.now() / 1000);
    const expiresAt = issuedAt + ttl;
    const jti = randomUUID();
    const token = await new SignJWT({
      sid: sessionId,
      role: participant.role,
      member: participant.member,
      perm: { publish: participant.permissions.publish, chat: participant.permissions.chat },
    })
      .setProtectedHeader({ alg: ALG, typ })
      .setIssuer(this.options.issuer)
      .setAudience(this.options.audience)
      .setSubject(participant.participantId)
      .setIssuedAt(issuedAt)
      .setExpirationTime(expiresAt)
      .setJti(jti)
      .sign(this.options.key);
    return { token, jti, expiresAt };
  }

  private async verify(token: string, sessionId: string, typ: string): Promise<RedeemResult> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.publicKey, {
        algorithms: [ALG],
        issuer: this.options.issuer,
        audience: this.options.audience,
        clockTolerance: CLOCK_SKEW_SECONDS,
        currentDate: new Date(this.now()),
        maxTokenAge: JOIN_TOKEN_MAX_TTL_SECONDS + CLOCK_SKEW_SECONDS,
        requiredClaims: ['sub', 'jti', 'exp', 'iat', 'sid'],
        typ,
      }));
    } catch (error) {
      return { ok: false, ...refusalOf(error) };
    }
    const claims = joinClaims(payload);
    if (!claims) return { ok: false, refusal: 'malformed', detail: 'the token lacks a valid session, participant, role or permissions' };
    if (claims.sessionId !== sessionId) {
      return { ok: false, refusal: 'other-session', detail: 'the token is for another session; ask the host for a token for this one' };
    }
    return { ok: true, claims };
  }

  private async purgeNowAndThen(): Promise<void> {
    const now = this.now();
    if (now - this.lastPurge < PURGE_INTERVAL_MS) return;
    this.lastPurge = now;
    // A token stays acceptable CLOCK_SKEW_SECONDS past its exp, so its jti must outlive that too.
    await this.options.ids.purgeExpired(now - CLOCK_SKEW_SECONDS * 1000);
  }
}

function checkedTtl(seconds: number): number {
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > JOIN_TOKEN_MAX_TTL_SECONDS) {
    throw new Error(`a join token lives 1 to ${JOIN_TOKEN_MAX_TTL_SECONDS} seconds, got ${seconds}`);
  }
  return seconds;
}

function checkSubject(sessionId: string, participantId: string): void {
  if (!SESSION_ID.test(sessionId)) throw new Error('a session id is 16-128 base64url characters (the opaque sessionKey)');
  if (!PARTICIPANT_ID.test(participantId)) throw new Error('a participant id is 1-128 letters, digits, dot, dash or underscore');
}

function joinClaims(payload: JWTPayload): JoinClaims | null {
  const { sid, sub, role, member, perm, jti, exp } = payload as JWTPayload & Record<string, unknown>;
  if (typeof sid !== 'string' || typeof sub !== 'string' || !PARTICIPANT_ID.test(sub)) return null;
  if (typeof role !== 'string' || !ROLES.includes(role as ParticipantRole)) return null;
  if (typeof member !== 'string' || !/^0x[0-9a-f]{64}$/i.test(member)) return null;
  const permissions = perm as Partial<ParticipantPermissions> | undefined;
  if (typeof permissions?.publish !== 'boolean' || typeof permissions.chat !== 'boolean') return null;
  if (typeof jti !== 'string' || typeof exp !== 'number') return null;
  return {
    sessionId: sid,
    participant: {
      participantId: sub,
      role: role as ParticipantRole,
      member: member.toLowerCase() as Hex,
      // An observer never publishes, whatever a token says.
      permissions: { publish: role !== 'observer' && permissions.publish, chat: permissions.chat },
    },
    jti,
    expiresAt: exp,
  };
}

function refusalOf(error: unknown): { refusal: TokenRefusal; detail: string } {
  if (error instanceof errors.JWTExpired) return { refusal: 'expired', detail: 'the token expired; ask the host for a new one' };
  if (error instanceof errors.JWSSignatureVerificationFailed) return { refusal: 'bad-signature', detail: 'the token was not signed by this host' };
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'aud' || error.claim === 'iss') return { refusal: 'wrong-audience', detail: 'the token was issued for another host or relay' };
    if (error.claim === 'typ') return { refusal: 'wrong-kind', detail: 'this kind of token does not open this endpoint' };
    if (error.claim === 'iat') return { refusal: 'expired', detail: 'the token is older than a join token may be; ask the host for a new one' };
  }
  return { refusal: 'malformed', detail: 'the token is not a join token of this host' };
}
