import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConsultNotifications, eventsPath, registerNotificationStream } from './notification-stream.js';
import type { ParticipantRole } from './ports.js';
import { newSessionId, startRelayHost, type RelayHost } from '../../test/support/telehealth-relay-fixture.js';
import { EventStreamReader } from '../../test/support/event-stream-reader.js';

describe('notification stream (SSE)', () => {
  let host: RelayHost;
  let notifications: ConsultNotifications;
  let session: string;
  const aborts: AbortController[] = [];

  const tokenFor = async (participantId: string, role: ParticipantRole, sessionId = session) =>
    (await host.tokens.issueNotificationToken(sessionId, host.gate.add(sessionId, participantId, role))).token;
  const connect = async (token: string | null, headers: Record<string, string> = {}, sessionId = session, abort = new AbortController()) => {
    aborts.push(abort);
    return fetch(`${host.baseUrl}${eventsPath(sessionId)}`, {
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      signal: abort.signal,
    });
  };
  const listen = async (participantId: string, role: ParticipantRole, headers: Record<string, string> = {}) => {
    const abort = new AbortController();
    const response = await connect(await tokenFor(participantId, role), headers, session, abort);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-store');
    return EventStreamReader.read(response, abort);
  };
  const readStream = async (token: string, headers: Record<string, string> = {}) => {
    const abort = new AbortController();
    return EventStreamReader.read(await connect(token, headers, session, abort), abort);
  };

  beforeEach(async () => {
    notifications = new ConsultNotifications();
    host = await startRelayHost({
      extend: (app, { tokens, gate }) => registerNotificationStream(app, { tokens, gate, ejections: gate, notifications, heartbeatMs: 100, maxStreamsPerParticipant: 2 }),
    });
    session = newSessionId();
  });
  afterEach(async () => {
    for (const abort of aborts.splice(0)) abort.abort();
    await host.close();
  });

  it('sends each participant their own notices and the session-wide ones, with ids and heartbeats', async () => {
    const patient = await listen('pt-a', 'patient');
    const provider = await listen('dr-b', 'provider');
    notifications.notify(session, 'dr-b', { kind: 'waiting-room', sessionId: session, waiting: 1 });
    notifications.notify(session, 'pt-a', { kind: 'provider-ready', sessionId: session });
    notifications.notify(session, null, { kind: 'escalation', sessionId: session, severity: 4 });
    await patient.until((r) => r.events.length === 2 && r.comments > 0);
    await provider.until((r) => r.events.length === 2);
    expect(patient.events).toEqual([
      { id: '2', event: 'provider-ready', data: { kind: 'provider-ready', sessionId: session } },
      { id: '3', event: 'escalation', data: { kind: 'escalation', sessionId: session, severity: 4 } },
    ]);
    expect(provider.events.map((e) => e.event)).toEqual(['waiting-room', 'escalation']);

    notifications.notify(session, null, { kind: 'ended', sessionId: session, state: 'completed' });
    await patient.until((r) => r.ended);
    await provider.until((r) => r.ended);
    expect(notifications.streamCount).toBe(0);
  });

  it('lets a waiting patient listen before admission, and replays what a reconnecting client missed (Last-Event-ID)', async () => {
    host.gate.refuse(session, 'pt-a', 'not-admitted');
    const token = await tokenFor('pt-a', 'patient');
    const first = await readStream(token);
    notifications.notify(session, 'pt-a', { kind: 'waiting-room', sessionId: session, waiting: 2 });
    await first.until((r) => r.events.length === 1);
    first.close();
    await first.until((r) => r.ended);
    notifications.notify(session, 'pt-a', { kind: 'admitted', sessionId: session });
    notifications.notify(session, 'dr-b', { kind: 'waiting-room', sessionId: session, waiting: 1 });

    const again = await readStream(token, { 'last-event-id': first.events[0]!.id! });
    await again.until((r) => r.events.length === 1);
    expect(again.events[0]).toMatchObject({ event: 'admitted' });
  });

  it('refuses without a token (401), with a join token or one for another session (401), a stranger (403), a closed session (410), too many streams (429)', async () => {
    const none = await connect(null);
    expect(none.status).toBe(401);
    expect(((await none.json()) as { issue: Array<{ details: { text: string } }> }).issue[0]!.details.text).toMatch(/Authorization: Bearer/);
    const joinToken = (await host.tokens.issue(session, host.gate.add(session, 'dr-b', 'provider'))).token;
    expect((await connect(joinToken)).status).toBe(401);
    const other = newSessionId();
    expect((await connect(await tokenFor('dr-b', 'provider', other))).status).toBe(401);

    const stranger = await host.tokens.issueNotificationToken(session, { participantId: 'stranger', role: 'specialist', member: `0x${'00'.repeat(32)}`, permissions: { publish: true, chat: true } });
    expect((await connect(stranger.token)).status).toBe(403);

    const token = await tokenFor('dr-b', 'provider');
    expect((await connect(token)).status).toBe(200);
    expect((await connect(token)).status).toBe(200);
    expect((await connect(token)).status).toBe(429);

    host.gate.refuse(session, 'pt-a', 'session-closed');
    expect((await connect(await tokenFor('pt-a', 'patient'))).status).toBe(410);
    expect((await connect('x', {}, 'short')).status).toBe(400);
  });

  it('ends open streams when the host shuts down, so shutdown does not wait on them', async () => {
    const patient = await listen('pt-a', 'patient');
    const started = performance.now();
    await host.app.close();
    await patient.until((r) => r.ended, 2000);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('ends an ejected participant’s stream at once with an "ended" event saying why, and leaves the others open', async () => {
    const patient = await listen('pt-a', 'patient');
    const provider = await listen('dr-b', 'provider');
    await patient.until((r) => r.comments > 0);
    host.gate.eject(session, 'pt-a', 'consent-revoked');
    await patient.until((r) => r.ended, 1000);
    expect(patient.events.at(-1)).toMatchObject({ event: 'ended', data: { kind: 'ended', sessionId: session, state: 'consent-revoked' } });
    notifications.notify(session, null, { kind: 'escalation', sessionId: session, severity: 2 });
    await provider.until((r) => r.events.length === 1);
    expect(provider.ended).toBe(false);
  });
});
