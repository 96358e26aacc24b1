// The signaling relay: one WebSocket room per consult on the host, at
// GET /telehealth/sessions/:sessionId/signal. It relays offers, answers, ICE candidates and hang-ups
// among the participants admitted to that room, from memory, and stores none of them.
//
// The join token travels as a WebSocket subprotocol (the client offers `careledger.signal.v1` and
// `careledger.token.<jwt>`; the relay selects the first): a browser's WebSocket cannot send an
// Authorization header, and a token in the query string ends up in proxies' access logs. The token
// is single use; after it the gate decides (live state: session open, invitation standing, consent,
// licence), on every join. The socket is accepted before these checks so a refused client learns
// why from the close code (signaling-messages.ts) rather than a bare failed handshake.
//
// Every frame counts as a heartbeat; a participant silent for longer than the heartbeat timeout is
// dropped and the room told. Per socket: a size limit and a token-bucket rate limit. A frame that
// breaks the protocol closes the sender's socket and leaves the room as it was. Ejections
// (revoked consent or licence, withdrawn invitation, closed session) close sockets in the same
// tick they are announced, including sockets still being admitted.

import websocket from '@fastify/websocket';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { RawData, WebSocket } from 'ws';
import type { JoinTokens } from './join-token.js';
import type { Ejection, EjectionFeed, GateDecision, GateRefusal, Participant, SessionGate } from './ports.js';
import { RelayRoom, type RoomConnection } from './relay-room.js';
import {
  RelayCloseCode,
  closeCodeOf,
  parseInbound,
  sdpSendsMedia,
  type InboundMessage,
  type OutboundMessage,
  type PresenceState,
  type RoomMember,
} from './signaling-messages.js';

export const SIGNAL_PROTOCOL = 'careledger.signal.v1';
export const TOKEN_PROTOCOL_PREFIX = 'careledger.token.';
export const SIGNAL_ROUTE = '/telehealth/sessions/:sessionId/signal';

export function signalPath(sessionId: string): string {
  return `/telehealth/sessions/${encodeURIComponent(sessionId)}/signal`;
}

export interface RelayLimits {
  /** Largest text frame, in bytes (an SDP with every codec is ~10 KB). Default 64 KiB. */
  maxMessageBytes: number;
  /** Frames a socket may send at once. Default 50 (a burst of trickled ICE candidates). */
  burst: number;
  /** Sustained frames per second per socket. Default 25. */
  messagesPerSecond: number;
  /** What clients are told to keep to. Default 10 s. */
  heartbeatIntervalMs: number;
  /** A socket silent this long is dropped (4408). Default 30 s. */
  heartbeatTimeoutMs: number;
  /** Longest a join may wait for the gate before it is refused (4503). Default 10 s. */
  admissionTimeoutMs: number;
  /** Bytes waiting to be sent to one socket before it is dropped as too slow (1013). Default 1 MiB. */
  maxBufferedBytes: number;
}

export const DEFAULT_RELAY_LIMITS: RelayLimits = {
  maxMessageBytes: 64 * 1024,
  burst: 50,
  messagesPerSecond: 25,
  heartbeatIntervalMs: 10_000,
  heartbeatTimeoutMs: 30_000,
  admissionTimeoutMs: 10_000,
  maxBufferedBytes: 1024 * 1024,
};

export interface SignalingRelayOptions {
  tokens: Pick<JoinTokens, 'redeem'>;
  gate: SessionGate;
  ejections: EjectionFeed;
  limits?: Partial<RelayLimits>;
  /** Default: the app's logger. Nothing a participant sends is ever logged. */
  log?: FastifyBaseLogger;
  now?: () => number;
}

export interface RelayStats {
  rooms: number;
  sockets: number;
  /** Frames relayed to a peer since start. */
  relayed: number;
  /** Sockets closed by the relay since start, by close code. */
  closedByCode: Record<number, number>;
}

export interface SignalingRelay {
  /** Pushes a frame the workflow produced (e.g. a chat message) to one participant or the whole room; the count reached. */
  send(sessionId: string, participantId: string | null, frame: { type: string } & Record<string, unknown>): number;
  /** Who is connected to a session's room now. */
  participants(sessionId: string): RoomMember[];
  stats(): RelayStats;
}

/** A frame larger than this never reaches the relay: ws closes with 1009 before buffering it. */
const HARD_FRAME_CEILING_FACTOR = 4;
const REASON_BYTES = 123;
const EJECTION_CODES = new Set<number>([RelayCloseCode.SESSION_CLOSED, RelayCloseCode.CONSENT_REVOKED, RelayCloseCode.LICENCE_INVALID, RelayCloseCode.INVITATION_WITHDRAWN]);

export async function registerSignalingRelay(app: FastifyInstance, options: SignalingRelayOptions): Promise<SignalingRelay> {
  const limits: RelayLimits = { ...DEFAULT_RELAY_LIMITS, ...options.limits };
  const relay = new Relay(options, limits, options.log ?? app.log);
  await app.register(async (scope) => {
    // Before @fastify/websocket's own preClose (registered after this one) closes sockets without a code.
    scope.addHook('preClose', async () => relay.stop());
    await scope.register(websocket, {
      options: {
        maxPayload: limits.maxMessageBytes * HARD_FRAME_CEILING_FACTOR,
        perMessageDeflate: false,
        handleProtocols: (protocols) => (protocols.has(SIGNAL_PROTOCOL) ? SIGNAL_PROTOCOL : false),
      },
    });
    scope.get(
      SIGNAL_ROUTE,
      {
        websocket: true,
        schema: { params: { type: 'object', required: ['sessionId'], properties: { sessionId: { type: 'string', pattern: '^[A-Za-z0-9_-]{16,128}$' } } } },
      },
      (socket, request) => {
        const { sessionId } = request.params as { sessionId: string };
        relay.connect(socket, sessionId, tokenOf(request.headers['sec-websocket-protocol']));
      },
    );
  });
  return relay;
}

function tokenOf(header: string | undefined): string | null {
  for (const protocol of (header ?? '').split(',')) {
    const trimmed = protocol.trim();
    if (trimmed.startsWith(TOKEN_PROTOCOL_PREFIX)) return trimmed.slice(TOKEN_PROTOCOL_PREFIX.length);
  }
  return null;
}

class SocketConnection implements RoomConnection {
  participant!: Participant;
  state: 'admitting' | 'open' | 'closed' = 'admitting';
  lastSeen: number;
  private allowance: number;
  private refilledAt: number;
  readonly pending: string[] = [];

  constructor(
    readonly socket: WebSocket,
    readonly sessionId: string,
    now: number,
    private readonly limits: RelayLimits,
  ) {
    this.lastSeen = now;
    this.allowance = limits.burst;
    this.refilledAt = now;
  }

  /** Called when the socket's unsent backlog passes the limit: a reader that stopped reading. */
  onBacklog: () => void = () => {};

  send(text: string): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    // A peer that does not read would otherwise grow the relay's memory without bound.
    if (this.socket.bufferedAmount > this.limits.maxBufferedBytes) {
      this.onBacklog();
      return;
    }
    this.socket.send(text);
  }

  close(code: number, reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.socket.close(code, truncated(reason));
  }

  /** Token bucket: false when this frame is over the rate. */
  take(now: number): boolean {
    this.allowance = Math.min(this.limits.burst, this.allowance + ((now - this.refilledAt) * this.limits.messagesPerSecond) / 1000);
    this.refilledAt = now;
    if (this.allowance < 1) return false;
    this.allowance -= 1;
    return true;
  }
}

class Relay implements SignalingRelay {
  private readonly rooms = new Map<string, RelayRoom>();
  /** Ejections announced recently, by session and by session + participant, so an admission in flight sees them. */
  private readonly ejected = new Map<string, { seq: number; refusal: GateRefusal; at: number }>();
  private ejectionSeq = 0;
  private relayed = 0;
  private readonly closedByCode: Record<number, number> = {};
  private readonly now: () => number;
  private readonly sweeper: NodeJS.Timeout;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly options: SignalingRelayOptions,
    private readonly limits: RelayLimits,
    private readonly log: FastifyBaseLogger,
  ) {
    this.now = options.now ?? Date.now;
    this.unsubscribe = options.ejections.onEjection((ejection) => this.eject(ejection));
    this.sweeper = setInterval(() => this.sweep(), Math.max(100, Math.min(1000, limits.heartbeatTimeoutMs / 4)));
    this.sweeper.unref();
  }

  connect(socket: WebSocket, sessionId: string, token: string | null): void {
    const connection = new SocketConnection(socket, sessionId, this.now(), this.limits);
    connection.onBacklog = () => this.closeWith(connection, RelayCloseCode.BACKLOGGED, 'too many messages waiting for this connection; join again');
    socket.on('message', (data: RawData, isBinary: boolean) => this.onFrame(connection, data, isBinary));
    socket.on('close', (code: number) => this.onClosed(connection, code));
    void this.admit(connection, token).catch((error: unknown) => {
      this.log.error({ err: error }, 'telehealth relay: admission failed');
      this.closeWith(connection, RelayCloseCode.UNAVAILABLE, 'the relay could not check this join; try again');
    });
  }

  send(sessionId: string, participantId: string | null, frame: { type: string } & Record<string, unknown>): number {
    const room = this.rooms.get(sessionId);
    if (!room) return 0;
    if (participantId === null) return room.broadcast(frame);
    return room.sendTo(participantId, frame) ? 1 : 0;
  }

  participants(sessionId: string): RoomMember[] {
    return this.rooms.get(sessionId)?.members() ?? [];
  }

  stats(): RelayStats {
    let sockets = 0;
    for (const room of this.rooms.values()) sockets += room.size;
    return { rooms: this.rooms.size, sockets, relayed: this.relayed, closedByCode: { ...this.closedByCode } };
  }

  stop(): void {
    clearInterval(this.sweeper);
    this.unsubscribe();
    for (const room of this.rooms.values()) room.closeAll(1001, 'the host is shutting down');
    this.rooms.clear();
  }

  private async admit(connection: SocketConnection, token: string | null): Promise<void> {
    const { sessionId } = connection;
    if (token === null) {
      this.closeWith(connection, RelayCloseCode.BAD_TOKEN, `no join token: offer the subprotocols ${SIGNAL_PROTOCOL} and ${TOKEN_PROTOCOL_PREFIX}<token>`);
      return;
    }
    const seqAtStart = this.ejectionSeq;
    const redeemed = await this.options.tokens.redeem(token, sessionId);
    if (!redeemed.ok) {
      this.closeWith(connection, RelayCloseCode.BAD_TOKEN, redeemed.detail);
      return;
    }
    const claimed = redeemed.claims.participant;
    const decision = await this.gateWithDeadline(sessionId, claimed.participantId);
    if (connection.state === 'closed') return;
    if (decision === 'timeout') {
      this.closeWith(connection, RelayCloseCode.UNAVAILABLE, 'the host did not confirm this join in time; try again');
      return;
    }
    if (!decision.ok) {
      this.closeWith(connection, closeCodeOf(decision.refusal), `${decision.refusal}: ${decision.detail}`);
      return;
    }
    const ejectedMeanwhile = this.ejectionSince(seqAtStart, sessionId, claimed.participantId);
    if (ejectedMeanwhile) {
      this.closeWith(connection, closeCodeOf(ejectedMeanwhile), ejectedMeanwhile);
      return;
    }
    // Live state decides the role; the token can only narrow what the participant may do.
    const live = decision.participant;
    connection.participant = {
      ...live,
      permissions: { publish: live.permissions.publish && claimed.permissions.publish, chat: live.permissions.chat && claimed.permissions.chat },
    };
    connection.state = 'open';
    const room = this.rooms.get(sessionId) ?? this.newRoom(sessionId);
    const superseded = room.admit(connection);
    if (superseded) this.closeWith(superseded as SocketConnection, RelayCloseCode.SUPERSEDED, 'you joined again from another connection');
    this.sendTo(connection, {
      type: 'welcome',
      sessionId,
      participantId: live.participantId,
      role: live.role,
      participants: room.members().filter((member) => member.participantId !== live.participantId),
      heartbeatIntervalMs: this.limits.heartbeatIntervalMs,
      maxMessageBytes: this.limits.maxMessageBytes,
    });
    for (const text of connection.pending.splice(0)) {
      if (connection.state !== 'open') break;
      this.handle(connection, room, text);
    }
  }

  private async gateWithDeadline(sessionId: string, participantId: string): Promise<GateDecision | 'timeout'> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.limits.admissionTimeoutMs);
    });
    try {
      return await Promise.race([this.options.gate.check(sessionId, participantId), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  private newRoom(sessionId: string): RelayRoom {
    const room = new RelayRoom(sessionId);
    this.rooms.set(sessionId, room);
    return room;
  }

  private onFrame(connection: SocketConnection, data: RawData, isBinary: boolean): void {
    if (connection.state === 'closed') return;
    const now = this.now();
    connection.lastSeen = now;
    const bytes = Array.isArray(data) ? data.reduce((sum, part) => sum + part.length, 0) : data.byteLength;
    if (bytes > this.limits.maxMessageBytes) {
      this.closeWith(connection, RelayCloseCode.TOO_LARGE, `a signaling message is at most ${this.limits.maxMessageBytes} bytes`);
      return;
    }
    if (!connection.take(now)) {
      this.closeWith(connection, RelayCloseCode.RATE_LIMITED, `more than ${this.limits.messagesPerSecond} messages a second (burst ${this.limits.burst})`);
      return;
    }
    if (isBinary) {
      this.closeWith(connection, RelayCloseCode.MALFORMED, 'signaling messages are JSON text frames');
      return;
    }
    const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
    if (connection.state === 'admitting') {
      connection.pending.push(text);
      return;
    }
    const room = this.rooms.get(connection.sessionId);
    if (room?.has(connection)) this.handle(connection, room, text);
  }

  private handle(connection: SocketConnection, room: RelayRoom, text: string): void {
    const parsed = parseInbound(text);
    if (!parsed.ok) {
      this.closeWith(connection, RelayCloseCode.MALFORMED, parsed.reason);
      return;
    }
    const message: InboundMessage = parsed.message;
    const from = connection.participant.participantId;
    if (message.type === 'heartbeat') return;
    if ('to' in message && message.to === from) {
      this.closeWith(connection, RelayCloseCode.MALFORMED, 'to is the sender');
      return;
    }
    const publish = connection.participant.permissions.publish;
    if (message.type === 'offer' && !publish) {
      this.closeWith(connection, RelayCloseCode.FORBIDDEN, 'this participant may not publish media, so may not send offers');
      return;
    }
    if (message.type === 'answer' && !publish && sdpSendsMedia(message.sdp)) {
      this.closeWith(connection, RelayCloseCode.FORBIDDEN, 'this participant may not publish media: answer audio and video recvonly');
      return;
    }
    switch (message.type) {
      case 'offer':
      case 'answer':
        this.route(connection, room, message.to, { type: message.type, from, sdp: message.sdp });
        return;
      case 'ice-candidate':
        this.route(connection, room, message.to, { type: 'ice-candidate', from, candidate: message.candidate });
        return;
      case 'end':
        if (message.to !== undefined) {
          this.route(connection, room, message.to, { type: 'end', from });
          return;
        }
        this.relayed += room.broadcast({ type: 'end', from }, from);
        this.closeWith(connection, RelayCloseCode.NORMAL, 'left the consult');
    }
  }

  private route(connection: SocketConnection, room: RelayRoom, to: string, message: OutboundMessage): void {
    if (room.sendTo(to, message)) this.relayed++;
    else this.sendTo(connection, { type: 'peer-unavailable', to });
  }

  private sendTo(connection: SocketConnection, message: OutboundMessage): void {
    connection.send(JSON.stringify(message));
  }

  private eject(ejection: Ejection): void {
    const at = this.now();
    const seq = ++this.ejectionSeq;
    const key = ejection.participantId === null ? ejection.sessionId : participantKey(ejection.sessionId, ejection.participantId);
    this.ejected.set(key, { seq, refusal: ejection.refusal, at });
    const room = this.rooms.get(ejection.sessionId);
    if (!room) return;
    const code = closeCodeOf(ejection.refusal);
    if (ejection.participantId === null) {
      for (const connection of room.closeAll(code, ejection.refusal)) this.count(code, connection as SocketConnection);
      this.rooms.delete(ejection.sessionId);
      return;
    }
    const connection = room.connectionOf(ejection.participantId) as SocketConnection | undefined;
    if (connection) this.closeWith(connection, code, ejection.refusal);
  }

  private ejectionSince(seq: number, sessionId: string, participantId: string): GateRefusal | null {
    for (const key of [sessionId, participantKey(sessionId, participantId)]) {
      const mark = this.ejected.get(key);
      if (mark && mark.seq > seq) return mark.refusal;
    }
    return null;
  }

  /** Closes a connection with a code and takes it out of its room, telling the others. */
  private closeWith(connection: SocketConnection, code: number, reason: string): void {
    if (connection.state === 'closed') return;
    const room = this.rooms.get(connection.sessionId);
    const wasAdmitted = connection.state === 'open';
    connection.close(code, reason);
    this.count(code, connection);
    if (wasAdmitted && room) {
      room.remove(connection, presenceAfter(code));
      if (room.size === 0) this.rooms.delete(connection.sessionId);
    }
    this.log.debug({ code, participant: wasAdmitted ? connection.participant.participantId : undefined }, 'telehealth relay: socket closed');
  }

  private count(code: number, connection: SocketConnection): void {
    connection.state = 'closed';
    this.closedByCode[code] = (this.closedByCode[code] ?? 0) + 1;
  }

  /** The peer closed (or the network dropped it). */
  private onClosed(connection: SocketConnection, code: number): void {
    if (connection.state === 'closed') return;
    const wasAdmitted = connection.state === 'open';
    connection.state = 'closed';
    const room = this.rooms.get(connection.sessionId);
    if (!wasAdmitted || !room) return;
    room.remove(connection, code === 1000 || code === 1001 ? 'left' : 'lost');
    if (room.size === 0) this.rooms.delete(connection.sessionId);
  }

  private sweep(): void {
    const now = this.now();
    for (const room of [...this.rooms.values()]) {
      for (const member of room.members()) {
        const connection = room.connectionOf(member.participantId) as SocketConnection | undefined;
        if (connection && now - connection.lastSeen > this.limits.heartbeatTimeoutMs) {
          this.closeWith(connection, RelayCloseCode.PRESENCE_TIMEOUT, `no heartbeat for ${this.limits.heartbeatTimeoutMs} ms`);
        }
      }
    }
    const forgetBefore = now - 2 * this.limits.admissionTimeoutMs;
    for (const [key, mark] of this.ejected) if (mark.at < forgetBefore) this.ejected.delete(key);
  }
}

function participantKey(sessionId: string, participantId: string): string {
  return `${sessionId}\n${participantId}`;
}

function presenceAfter(code: number): Exclude<PresenceState, 'joined'> {
  if (code === RelayCloseCode.NORMAL || code === RelayCloseCode.SUPERSEDED) return 'left';
  if (EJECTION_CODES.has(code)) return 'ejected';
  return 'lost';
}

function truncated(reason: string): string {
  const bytes = Buffer.from(reason, 'utf8');
  return bytes.length <= REASON_BYTES ? reason : bytes.subarray(0, REASON_BYTES - 3).toString('utf8').replace(/\uFFFD$/, '') + '...';
}
