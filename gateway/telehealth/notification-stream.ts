// Server-sent notifications of a consult, per participant, at GET /telehealth/sessions/:sessionId/events
// (text/event-stream): waiting room, provider ready, admitted, invited, escalation, ended.
//
// The stream opens with a notification token (join-token.ts) in `Authorization: Bearer`, never in
// the URL: URLs end up in proxies' access logs. Browsers read it with fetch() and a stream reader
// (EventSource cannot send headers). The token may be presented again until it expires, so a
// client that lost its network reconnects with `Last-Event-ID` and gets what it missed (the last
// notices of each session are held in memory, nothing is stored). Unlike the signaling socket a
// participant who is not admitted yet may listen: the waiting room is what the stream is for. The
// gate is asked on every connect; an ejection ends the participant's streams in the same tick.
// Notices carry no PHI: session id, counts, roles, severity, state.

import { OperationOutcomeError, unauthorized, forbidden, gone } from '@medplum/core';
import type { FastifyInstance } from 'fastify';
import type { ServerResponse } from 'node:http';
import { errorOutcome } from '../fhir/error-outcome.js';
import { tooManyRequests } from '../fhir/outcomes.js';
import type { JoinTokens } from './join-token.js';
import type { ConsultNotice, ConsultNotifier, Ejection, EjectionFeed, SessionGate } from './ports.js';

export const EVENTS_ROUTE = '/telehealth/sessions/:sessionId/events';

export function eventsPath(sessionId: string): string {
  return `/telehealth/sessions/${encodeURIComponent(sessionId)}/events`;
}

interface HeldNotice {
  id: number;
  participantId: string | null;
  notice: ConsultNotice;
}

interface Stream {
  participantId: string;
  deliver(id: number, notice: ConsultNotice): void;
  end(): void;
}

interface SessionChannel {
  held: HeldNotice[];
  streams: Set<Stream>;
  touchedAt: number;
}

export interface ConsultNotificationsOptions {
  /** Notices held per session for reconnecting clients. Default 100. */
  heldPerSession?: number;
  /** A session nobody listens to is forgotten this long after its last notice. Default 1 h. */
  idleForgetMs?: number;
  now?: () => number;
}

/** The ConsultNotifier the workflow calls: fans each notice out to the participant's open streams. */
export class ConsultNotifications implements ConsultNotifier {
  private readonly channels = new Map<string, SessionChannel>();
  private nextId = 1;
  private readonly heldPerSession: number;
  private readonly idleForgetMs: number;
  private readonly now: () => number;

  constructor(options: ConsultNotificationsOptions = {}) {
    this.heldPerSession = options.heldPerSession ?? 100;
    this.idleForgetMs = options.idleForgetMs ?? 3_600_000;
    this.now = options.now ?? Date.now;
  }

  notify(sessionId: string, participantId: string | null, notice: ConsultNotice): void {
    const channel = this.channel(sessionId);
    const held: HeldNotice = { id: this.nextId++, participantId, notice };
    channel.held.push(held);
    if (channel.held.length > this.heldPerSession) channel.held.shift();
    for (const stream of [...channel.streams]) {
      if (participantId !== null && stream.participantId !== participantId) continue;
      stream.deliver(held.id, notice);
      // Nothing follows the end of a consult: the stream closes so clients stop listening.
      if (notice.kind === 'ended') stream.end();
    }
  }

  /** Streams open now, over all sessions. */
  get streamCount(): number {
    let count = 0;
    for (const channel of this.channels.values()) count += channel.streams.size;
    return count;
  }

  streamsOf(sessionId: string, participantId: string): number {
    return [...(this.channels.get(sessionId)?.streams ?? [])].filter((stream) => stream.participantId === participantId).length;
  }

  /** Adds a stream; first replays the held notices for it newer than `lastEventId`. */
  subscribe(sessionId: string, stream: Stream, lastEventId: number | null): () => void {
    const channel = this.channel(sessionId);
    if (lastEventId !== null) {
      for (const held of channel.held) {
        if (held.id > lastEventId && (held.participantId === null || held.participantId === stream.participantId)) stream.deliver(held.id, held.notice);
      }
    }
    channel.streams.add(stream);
    return () => {
      channel.streams.delete(stream);
      channel.touchedAt = this.now();
    };
  }

  /** Ends the streams an ejection names, telling them why. */
  eject(ejection: Ejection): void {
    const channel = this.channels.get(ejection.sessionId);
    if (!channel) return;
    for (const stream of [...channel.streams]) {
      if (ejection.participantId !== null && stream.participantId !== ejection.participantId) continue;
      stream.deliver(this.nextId++, { kind: 'ended', sessionId: ejection.sessionId, state: ejection.refusal });
      stream.end();
    }
  }

  /** Forgets sessions nobody listens to and nobody notified for a while. */
  forgetIdle(): void {
    const before = this.now() - this.idleForgetMs;
    for (const [sessionId, channel] of this.channels) if (channel.streams.size === 0 && channel.touchedAt < before) this.channels.delete(sessionId);
  }

  private channel(sessionId: string): SessionChannel {
    let channel = this.channels.get(sessionId);
    if (!channel) {
      channel = { held: [], streams: new Set(), touchedAt: this.now() };
      this.channels.set(sessionId, channel);
    }
    channel.touchedAt = this.now();
    return channel;
  }
}

export interface NotificationStreamOptions {
  tokens: Pick<JoinTokens, 'verifyNotificationToken'>;
  gate: SessionGate;
  ejections: EjectionFeed;
  notifications: ConsultNotifications;
  /** Comment lines keep proxies from closing an idle stream. Default 15 s. */
  heartbeatMs?: number;
  /** Streams one participant may hold open on a session (tabs, devices). Default 4. */
  maxStreamsPerParticipant?: number;
}

const SESSION_PARAMS = { type: 'object', required: ['sessionId'], properties: { sessionId: { type: 'string', pattern: '^[A-Za-z0-9_-]{16,128}$' } } } as const;

export async function registerNotificationStream(app: FastifyInstance, options: NotificationStreamOptions): Promise<void> {
  const { notifications } = options;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const maxStreams = options.maxStreamsPerParticipant ?? 4;
  await app.register(async (scope) => {
    const unsubscribe = options.ejections.onEjection((ejection) => notifications.eject(ejection));
    const open = new Set<ServerResponse>();
    const sweeper = setInterval(() => notifications.forgetIdle(), 60_000);
    sweeper.unref();
    // Before the server closes: it waits for open connections, and a stream never ends by itself.
    scope.addHook('preClose', async () => {
      unsubscribe();
      clearInterval(sweeper);
      for (const response of open) response.end();
    });
    scope.setErrorHandler((error, request, reply) => {
      const mapped = errorOutcome(error, { bodyLimit: 0 });
      if (mapped.unexpected) request.log.error({ err: error }, 'telehealth notification stream failed');
      return reply.code(mapped.status).type('application/fhir+json').send(mapped.outcome);
    });

    scope.get(
      EVENTS_ROUTE,
      {
        schema: {
          params: SESSION_PARAMS,
          headers: { type: 'object', properties: { 'last-event-id': { type: 'string', pattern: '^[0-9]{1,15}$' } } },
        },
      },
      async (request, reply) => {
        const { sessionId } = request.params as { sessionId: string };
        const token = /^Bearer +(\S+) *$/i.exec(request.headers.authorization ?? '')?.[1];
        if (!token) throw refusal(unauthorized, 'login', 'send the notification token the host issued as Authorization: Bearer <token>');
        const verified = await options.tokens.verifyNotificationToken(token, sessionId);
        if (!verified.ok) throw refusal(unauthorized, 'login', verified.detail);
        const { participantId } = verified.claims.participant;
        const decision = await options.gate.check(sessionId, participantId);
        // The waiting room listens before it is admitted; every other refusal keeps the stream shut.
        if (!decision.ok && decision.refusal !== 'not-admitted') {
          if (decision.refusal === 'session-closed') throw refusal(gone, 'deleted', 'the session is closed');
          throw refusal(forbidden, 'forbidden', `${decision.refusal}: ${decision.detail}`);
        }
        if (notifications.streamsOf(sessionId, participantId) >= maxStreams) {
          throw new OperationOutcomeError(tooManyRequests(`at most ${maxStreams} open notification streams per participant; close one first`));
        }

        reply.hijack();
        const response = reply.raw;
        response.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-store',
          connection: 'keep-alive',
          // nginx and similar buffer responses unless told not to; events must arrive as sent.
          'x-accel-buffering': 'no',
        });
        response.write('retry: 3000\n\n');
        open.add(response);
        let ended = false;
        const stream: Stream = {
          participantId,
          deliver: (id, notice) => {
            if (!ended) response.write(`id: ${id}\nevent: ${notice.kind}\ndata: ${JSON.stringify(notice)}\n\n`);
          },
          end: () => {
            if (ended) return;
            ended = true;
            response.end();
          },
        };
        const lastEventId = request.headers['last-event-id'];
        const stop = notifications.subscribe(sessionId, stream, typeof lastEventId === 'string' ? Number(lastEventId) : null);
        const heartbeat = setInterval(() => {
          if (!ended) response.write(': heartbeat\n\n');
        }, heartbeatMs);
        response.on('close', () => {
          ended = true;
          clearInterval(heartbeat);
          stop();
          open.delete(response);
        });
      },
    );
  });
}

function refusal(base: typeof unauthorized, code: 'login' | 'forbidden' | 'deleted', text: string): OperationOutcomeError {
  return new OperationOutcomeError({ ...base, issue: [{ severity: 'error', code, details: { text } }] });
}
