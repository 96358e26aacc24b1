// A host's telehealth transport without the consult workflow: a fastify app on 127.0.0.1 with the
// real signaling relay, the real join tokens over a real SQLite file, and in place of the
// workflow a small table of who may join (SessionGate) and a bus of ejections (EjectionFeed).
// Also a WebSocket client that offers the token as the relay expects.

import Fastify, { type FastifyInstance } from 'fastify';
import { type KeyObject, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import type { Hex } from '../../gateway/ledger/ports.js';
import { openDatabase, type Db } from '../../gateway/store/database.js';
import { SqliteJoinTokenIds } from '../../gateway/store/join-token-store.js';
import { JoinTokens, deriveJoinTokenKey } from '../../gateway/telehealth/join-token.js';
import type { Ejection, EjectionFeed, GateDecision, GateRefusal, Participant, ParticipantRole, SessionGate } from '../../gateway/telehealth/ports.js';
import { SIGNAL_PROTOCOL, TOKEN_PROTOCOL_PREFIX, registerSignalingRelay, signalPath, type RelayLimits, type SignalingRelay } from '../../gateway/telehealth/signaling-relay.js';

export const HOST_MEMBER = `0x${'b0'.repeat(32)}` as Hex;

/** The workflow's live state, reduced to a table: who is in which session, and who is refused why. */
export class TableGate implements SessionGate, EjectionFeed {
  private readonly participants = new Map<string, Participant>();
  private readonly refusals = new Map<string, GateRefusal>();
  private readonly listeners = new Set<(ejection: Ejection) => void>();
  checks = 0;
  /** How long a check takes, as a gate reading the chain might. */
  delayMs = 0;

  add(sessionId: string, participantId: string, role: ParticipantRole): Participant {
    const participant: Participant = { participantId, role, member: HOST_MEMBER, permissions: { publish: role !== 'observer', chat: true } };
    this.participants.set(`${sessionId}/${participantId}`, participant);
    return participant;
  }

  refuse(sessionId: string, participantId: string, refusal: GateRefusal): void {
    this.refusals.set(`${sessionId}/${participantId}`, refusal);
  }

  async check(sessionId: string, participantId: string): Promise<GateDecision> {
    this.checks++;
    const refusal = this.refusals.get(`${sessionId}/${participantId}`) ?? this.refusals.get(`${sessionId}/*`);
    const participant = this.participants.get(`${sessionId}/${participantId}`);
    const decision: GateDecision = refusal
      ? { ok: false, refusal, detail: refusal }
      : participant
        ? { ok: true, participant }
        : { ok: false, refusal: 'not-a-participant', detail: 'not a participant of this session' };
    // The answer is read first and delivered late, as from a chain read that raced a revocation.
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    return decision;
  }

  onEjection(listener: (ejection: Ejection) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** As the workflow does on a revocation or a close: refuse from now on, and eject. */
  eject(sessionId: string, participantId: string | null, refusal: GateRefusal): void {
    this.refuse(sessionId, participantId ?? '*', refusal);
    for (const listener of this.listeners) listener({ sessionId, participantId, refusal });
  }
}

export interface RelayHost {
  app: FastifyInstance;
  baseUrl: string;
  wsBase: string;
  tokens: JoinTokens;
  /** The host's token key, to mint tokens at other times in tests. */
  tokenKey: KeyObject;
  gate: TableGate;
  relay: SignalingRelay;
  db: Db;
  close(): Promise<void>;
}

export async function startRelayHost(
  options: { limits?: Partial<RelayLimits>; extend?: (app: FastifyInstance, host: Omit<RelayHost, 'app' | 'baseUrl' | 'wsBase' | 'relay' | 'close'>) => Promise<void> } = {},
): Promise<RelayHost> {
  const dir = mkdtempSync(join(tmpdir(), 'careledger-relay-'));
  const db = openDatabase(join(dir, 'node.db'));
  const app = Fastify({ logger: false });
  const gate = new TableGate();
  const tokenKey = deriveJoinTokenKey(randomBytes(32));
  const tokens = new JoinTokens({
    key: tokenKey,
    issuer: 'http://127.0.0.1',
    audience: 'http://127.0.0.1/telehealth',
    ids: new SqliteJoinTokenIds(db),
  });
  const relay = await registerSignalingRelay(app, { tokens, gate, ejections: gate, limits: options.limits });
  await options.extend?.(app, { tokens, tokenKey, gate, db });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    app,
    baseUrl: address,
    wsBase: address.replace(/^http/, 'ws'),
    tokens,
    tokenKey,
    gate,
    relay,
    db,
    async close() {
      await app.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function newSessionId(): string {
  return randomBytes(18).toString('base64url');
}

/** A signaling client: the messages it got, in order, and how its socket closed. */
export class SignalingClient {
  readonly received: Array<Record<string, unknown>> = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: Array<() => void> = [];

  constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      this.received.push(JSON.parse(data.toString()) as Record<string, unknown>);
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.closed = new Promise((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  static open(wsBase: string, sessionId: string, token: string | null, protocols?: string[]): Promise<SignalingClient> {
    const offered = protocols ?? [SIGNAL_PROTOCOL, ...(token ? [`${TOKEN_PROTOCOL_PREFIX}${token}`] : [])];
    const socket = new WebSocket(`${wsBase}${signalPath(sessionId)}`, offered);
    const client = new SignalingClient(socket);
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(client));
      socket.once('error', reject);
    });
  }

  send(message: unknown): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** The first message (from `from` on) matching `match`, waiting up to `timeoutMs`. */
  async next(match: (message: Record<string, unknown>) => boolean, timeoutMs = 3000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.received.find(match);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching signaling message in ${timeoutMs} ms; got ${JSON.stringify(this.received.map((m) => m.type))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.socket.close(1000);
  }
}
