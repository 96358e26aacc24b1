import { readFileSync, readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import WebSocket from 'ws';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteJoinTokenIds } from '../store/join-token-store.js';
import { JoinTokens } from './join-token.js';
import { SIGNAL_PROTOCOL, TOKEN_PROTOCOL_PREFIX, signalPath } from './signaling-relay.js';
import { RelayCloseCode } from './signaling-messages.js';
import type { ParticipantRole } from './ports.js';
import { SignalingClient, newSessionId, startRelayHost, type RelayHost } from '../../test/support/telehealth-relay-fixture.js';

const SENDRECV_SDP = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=sendrecv\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=sendrecv\r\n';
const RECVONLY_SDP = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=recvonly\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=recvonly\r\n';
const CANDIDATE = { candidate: 'candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host', sdpMid: '0', sdpMLineIndex: 0 };

describe('signaling relay', () => {
  let host: RelayHost;
  let session: string;
  const clients: SignalingClient[] = [];

  const join = async (participantId: string, role: ParticipantRole, sessionId = session): Promise<SignalingClient> => {
    const participant = host.gate.add(sessionId, participantId, role);
    const { token } = await host.tokens.issue(sessionId, participant);
    const client = await SignalingClient.open(host.wsBase, sessionId, token);
    clients.push(client);
    await client.next((m) => m.type === 'welcome');
    return client;
  };
  const openWith = async (token: string | null, sessionId = session): Promise<SignalingClient> => {
    const client = await SignalingClient.open(host.wsBase, sessionId, token);
    clients.push(client);
    return client;
  };

  beforeEach(async () => {
    host = await startRelayHost({ limits: { heartbeatTimeoutMs: 60_000 } });
    session = newSessionId();
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.socket.terminate();
    await host.close();
  });

  it('admits participants, tells the room who joined, and relays offer, answer and ICE with the sender the relay saw', async () => {
    const provider = await join('dr-b', 'provider');
    const patient = await join('pt-a', 'patient');
    expect(patient.received[0]).toMatchObject({ type: 'welcome', sessionId: session, participantId: 'pt-a', role: 'patient', participants: [{ participantId: 'dr-b', role: 'provider' }], maxMessageBytes: 65536 });
    expect(await provider.next((m) => m.type === 'presence')).toEqual({ type: 'presence', participantId: 'pt-a', role: 'patient', state: 'joined' });

    provider.send({ type: 'offer', to: 'pt-a', sdp: SENDRECV_SDP });
    expect(await patient.next((m) => m.type === 'offer')).toEqual({ type: 'offer', from: 'dr-b', sdp: SENDRECV_SDP });
    patient.send({ type: 'answer', to: 'dr-b', sdp: SENDRECV_SDP });
    expect(await provider.next((m) => m.type === 'answer')).toEqual({ type: 'answer', from: 'pt-a', sdp: SENDRECV_SDP });
    patient.send({ type: 'ice-candidate', to: 'dr-b', candidate: CANDIDATE });
    patient.send({ type: 'ice-candidate', to: 'dr-b', candidate: null });
    expect(await provider.next((m) => m.type === 'ice-candidate' && m.candidate === null)).toEqual({ type: 'ice-candidate', from: 'pt-a', candidate: null });
    expect(provider.received.find((m) => m.type === 'ice-candidate')).toEqual({ type: 'ice-candidate', from: 'pt-a', candidate: CANDIDATE });

    provider.send({ type: 'offer', to: 'nobody', sdp: SENDRECV_SDP });
    expect(await provider.next((m) => m.type === 'peer-unavailable')).toEqual({ type: 'peer-unavailable', to: 'nobody' });
    expect(host.relay.send(session, 'pt-a', { type: 'chat', from: 'dr-b', text: 'hello' })).toBe(1);
    expect(await patient.next((m) => m.type === 'chat')).toEqual({ type: 'chat', from: 'dr-b', text: 'hello' });
    expect(host.relay.participants(session)).toEqual([
      { participantId: 'dr-b', role: 'provider' },
      { participantId: 'pt-a', role: 'patient' },
    ]);

    patient.send({ type: 'end' });
    expect(await patient.closed).toEqual({ code: 1000, reason: 'left the consult' });
    expect(await provider.next((m) => m.type === 'presence' && m.state === 'left')).toMatchObject({ participantId: 'pt-a' });
    expect(provider.received.find((m) => m.type === 'end')).toEqual({ type: 'end', from: 'pt-a' });
    // Nothing relayed is written anywhere: no SDP in the database or its WAL.
    const dbDir = dirname(host.db.name);
    for (const file of readdirSync(dbDir)) expect(readFileSync(`${dbDir}/${file}`).includes('UDP/TLS/RTP/SAVPF')).toBe(false);
  });

  it('closes with 4401 a socket without a token, with an expired, replayed or forged one, or one for another session', async () => {
    const participant = host.gate.add(session, 'dr-b', 'provider');
    expect(await (await openWith(null)).closed).toMatchObject({ code: RelayCloseCode.BAD_TOKEN, reason: expect.stringContaining('no join token') });

    const used = await host.tokens.issue(session, participant);
    await (await openWith(used.token)).next((m) => m.type === 'welcome');
    expect(await (await openWith(used.token)).closed).toMatchObject({ code: RelayCloseCode.BAD_TOKEN, reason: expect.stringContaining('used already') });

    const other = newSessionId();
    const forOther = await host.tokens.issue(other, participant);
    expect(await (await openWith(forOther.token)).closed).toMatchObject({ code: RelayCloseCode.BAD_TOKEN, reason: expect.stringContaining('another session') });

    const earlier = new JoinTokens({ key: host.tokenKey, issuer: 'http://127.0.0.1', audience: 'http://127.0.0.1/telehealth', ids: new SqliteJoinTokenIds(host.db), ttlSeconds: 60, now: () => Date.now() - 70_000 });
    const expired = await earlier.issue(session, participant);
    expect(await (await openWith(expired.token)).closed).toMatchObject({ code: RelayCloseCode.BAD_TOKEN, reason: expect.stringContaining('expired') });

    const [header, payload] = used.token.split('.');
    expect(await (await openWith(`${header}.${payload}.${'A'.repeat(86)}`)).closed).toMatchObject({ code: RelayCloseCode.BAD_TOKEN });
  });

  it('refuses a handshake without the signaling subprotocol, and never reads a token from the query string', async () => {
    const participant = host.gate.add(session, 'dr-b', 'provider');
    const { token } = await host.tokens.issue(session, participant);
    const socket = new WebSocket(`${host.wsBase}${signalPath(session)}?token=${token}`, [`${TOKEN_PROTOCOL_PREFIX}${token}`]);
    await expect(new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject))).rejects.toThrow(/subprotocol/i);
    const queryOnly = new SignalingClient(new WebSocket(`${host.wsBase}${signalPath(session)}?token=${token}`, [SIGNAL_PROTOCOL]));
    clients.push(queryOnly);
    expect((await queryOnly.closed).code).toBe(RelayCloseCode.BAD_TOKEN);
  });

  it('closes with 4403 a valid token whose holder the gate does not know, or who is not admitted yet', async () => {
    const participant = host.gate.add(session, 'stranger', 'specialist');
    const token = (await host.tokens.issue(session, { ...participant, participantId: 'not-listed' })).token;
    expect(await (await openWith(token)).closed).toMatchObject({ code: RelayCloseCode.FORBIDDEN, reason: expect.stringContaining('not-a-participant') });
    host.gate.refuse(session, 'pt-a', 'not-admitted');
    const waiting = host.gate.add(session, 'pt-a', 'patient');
    expect((await (await openWith((await host.tokens.issue(session, waiting)).token)).closed).code).toBe(RelayCloseCode.FORBIDDEN);
    expect(host.relay.participants(session)).toEqual([]);
  });

  it('lets an observer receive and answer recvonly, and closes it with 4403 on an offer or a sending answer, the room untouched', async () => {
    const provider = await join('dr-b', 'provider');
    const patient = await join('pt-a', 'patient');
    const observer = await join('student', 'observer');
    provider.send({ type: 'offer', to: 'student', sdp: SENDRECV_SDP });
    await observer.next((m) => m.type === 'offer');
    observer.send({ type: 'answer', to: 'dr-b', sdp: RECVONLY_SDP });
    expect(await provider.next((m) => m.type === 'answer')).toEqual({ type: 'answer', from: 'student', sdp: RECVONLY_SDP });
    observer.send({ type: 'offer', to: 'pt-a', sdp: RECVONLY_SDP });
    expect(await observer.closed).toMatchObject({ code: RelayCloseCode.FORBIDDEN, reason: expect.stringContaining('may not publish') });
    expect(patient.received.some((m) => m.type === 'offer')).toBe(false);

    const second = await join('student-2', 'observer');
    second.send({ type: 'answer', to: 'dr-b', sdp: SENDRECV_SDP });
    expect((await second.closed).code).toBe(RelayCloseCode.FORBIDDEN);
    expect(provider.received.filter((m) => m.type === 'answer')).toHaveLength(1);
    provider.send({ type: 'offer', to: 'pt-a', sdp: SENDRECV_SDP });
    expect(await patient.next((m) => m.type === 'offer')).toMatchObject({ from: 'dr-b' });
  });

  it('closes the sender only on malformed (4400) and oversized (4413) messages', async () => {
    const provider = await join('dr-b', 'provider');
    const cases: Array<[unknown, number, string]> = [
      ['{not json', RelayCloseCode.MALFORMED, 'not JSON'],
      [[1, 2], RelayCloseCode.MALFORMED, 'not a JSON object'],
      [{ type: 'shout', to: 'dr-b' }, RelayCloseCode.MALFORMED, 'unknown type'],
      [{ type: 'offer', to: 'dr-b' }, RelayCloseCode.MALFORMED, 'offer needs sdp'],
      [{ type: 'offer', to: 'dr-b', sdp: SENDRECV_SDP, from: 'dr-b' }, RelayCloseCode.MALFORMED, 'unexpected field from'],
      [{ type: 'ice-candidate', to: 'dr-b', candidate: { candidate: 1 } }, RelayCloseCode.MALFORMED, 'candidate is not an ICE candidate'],
      [{ type: 'offer', to: 'pt-x', sdp: `v=0\r\n${'a=x\r\n'.repeat(15_000)}` }, RelayCloseCode.TOO_LARGE, 'at most 65536 bytes'],
    ];
    for (const [index, [message, code, reason]] of cases.entries()) {
      const sender = await join(`pt-${index}`, 'patient');
      sender.send(message);
      expect(await sender.closed, JSON.stringify(message).slice(0, 60)).toMatchObject({ code, reason: expect.stringContaining(reason) });
    }
    const binary = await join('pt-binary', 'patient');
    binary.socket.send(Buffer.from([1, 2, 3]));
    expect((await binary.closed).code).toBe(RelayCloseCode.MALFORMED);

    const patient = await join('pt-a', 'patient');
    provider.send({ type: 'offer', to: 'pt-a', sdp: SENDRECV_SDP });
    expect(await patient.next((m) => m.type === 'offer')).toMatchObject({ from: 'dr-b' });
    expect(host.relay.participants(session).map((m) => m.participantId)).toEqual(['dr-b', 'pt-a']);
    expect(host.relay.stats().closedByCode).toMatchObject({ [RelayCloseCode.MALFORMED]: 7, [RelayCloseCode.TOO_LARGE]: 1 });
  });

  it('closes with 4429 a socket that sends faster than the rate limit', async () => {
    const provider = await join('dr-b', 'provider');
    const flooder = await join('pt-a', 'patient');
    for (let i = 0; i < 80; i++) flooder.send({ type: 'ice-candidate', to: 'dr-b', candidate: CANDIDATE });
    expect(await flooder.closed).toMatchObject({ code: RelayCloseCode.RATE_LIMITED });
    expect(provider.received.filter((m) => m.type === 'ice-candidate').length).toBeLessThanOrEqual(50);
    expect(provider.socket.readyState).toBe(WebSocket.OPEN);
  });

  it('ejects a participant whose consent or licence goes within the same tick, and the gate keeps them out', async () => {
    const provider = await join('dr-b', 'provider');
    const patient = await join('pt-a', 'patient');
    const specialist = await join('dr-c', 'specialist');
    const started = performance.now();
    host.gate.eject(session, 'dr-c', 'licence-invalid');
    expect(await specialist.closed).toEqual({ code: RelayCloseCode.LICENCE_INVALID, reason: 'licence-invalid' });
    expect(performance.now() - started).toBeLessThan(5000);
    expect(await provider.next((m) => m.type === 'presence' && m.participantId === 'dr-c' && m.state === 'ejected')).toBeTruthy();

    host.gate.eject(session, 'pt-a', 'consent-revoked');
    expect((await patient.closed).code).toBe(RelayCloseCode.CONSENT_REVOKED);
    const participant = host.gate.add(session, 'pt-a', 'patient');
    expect((await (await openWith((await host.tokens.issue(session, participant)).token)).closed).code).toBe(RelayCloseCode.CONSENT_REVOKED);
    expect(host.relay.participants(session)).toEqual([{ participantId: 'dr-b', role: 'provider' }]);
  });

  it('refuses a join whose gate check was in flight when its participant was ejected', async () => {
    const participant = host.gate.add(session, 'dr-c', 'specialist');
    host.gate.delayMs = 200;
    const client = await openWith((await host.tokens.issue(session, participant)).token);
    await new Promise((resolve) => setTimeout(resolve, 50));
    // The gate already answered "yes" for this join; the ejection must still win.
    host.gate.eject(session, 'dr-c', 'invitation-withdrawn');
    expect((await client.closed).code).toBe(RelayCloseCode.INVITATION_WITHDRAWN);
  });

  it('closes the whole room with 4409 when the session closes, and refuses later joins', async () => {
    const provider = await join('dr-b', 'provider');
    const patient = await join('pt-a', 'patient');
    host.gate.eject(session, null, 'session-closed');
    expect((await provider.closed).code).toBe(RelayCloseCode.SESSION_CLOSED);
    expect((await patient.closed).code).toBe(RelayCloseCode.SESSION_CLOSED);
    expect(host.relay.stats().rooms).toBe(0);
    const participant = host.gate.add(session, 'dr-b', 'provider');
    expect((await (await openWith((await host.tokens.issue(session, participant)).token)).closed).code).toBe(RelayCloseCode.SESSION_CLOSED);
  });

  it('replaces an older socket of the same participant (4001) without telling the room they left', async () => {
    const provider = await join('dr-b', 'provider');
    const first = await join('pt-a', 'patient');
    const second = await join('pt-a', 'patient');
    expect((await first.closed).code).toBe(RelayCloseCode.SUPERSEDED);
    provider.send({ type: 'offer', to: 'pt-a', sdp: SENDRECV_SDP });
    expect(await second.next((m) => m.type === 'offer')).toMatchObject({ from: 'dr-b' });
    expect(provider.received.filter((m) => m.type === 'presence').map((m) => m.state)).toEqual(['joined']);
  });
});

/** Admits a participant to `session` on `host` and opens their signalling socket, past the welcome. */
async function joinRelay(host: RelayHost, session: string, participantId: string, role: ParticipantRole): Promise<SignalingClient> {
  const client = await SignalingClient.open(host.wsBase, session, (await host.tokens.issue(session, host.gate.add(session, participantId, role))).token);
  await client.next((m) => m.type === 'welcome');
  return client;
}

describe('signaling relay presence', () => {
  it('drops a participant silent past the heartbeat timeout (4408) and tells the room; heartbeats keep one in', async () => {
    const host = await startRelayHost({ limits: { heartbeatTimeoutMs: 1000 } });
    const session = newSessionId();
    try {
      const open = (participantId: string, role: ParticipantRole) => joinRelay(host, session, participantId, role);
      const provider = await open('dr-b', 'provider');
      const silent = await open('pt-a', 'patient');
      const beat = setInterval(() => provider.send({ type: 'heartbeat' }), 100);
      try {
        expect((await silent.closed).code).toBe(RelayCloseCode.PRESENCE_TIMEOUT);
        expect(await provider.next((m) => m.type === 'presence' && m.state === 'lost')).toMatchObject({ participantId: 'pt-a' });
        await new Promise((resolve) => setTimeout(resolve, 1200));
        expect(provider.socket.readyState).toBe(WebSocket.OPEN);
      } finally {
        clearInterval(beat);
        provider.socket.terminate();
      }
    } finally {
      await host.close();
    }
  });
});

describe('signaling relay shutdown', () => {
  it('closes every socket with 1001 when the host shuts down, and shutdown does not wait on them', async () => {
    const host = await startRelayHost();
    const session = newSessionId();
    const client = await joinRelay(host, session, 'dr-b', 'provider');
    const started = performance.now();
    await host.close();
    expect(await client.closed).toEqual({ code: 1001, reason: 'the host is shutting down' });
    expect(performance.now() - started).toBeLessThan(3000);
  });
});

describe('signaling relay backlog', () => {
  it('drops a participant that stopped reading once its backlog passes the limit (1013), and keeps the sender', async () => {
    const host = await startRelayHost({ limits: { maxBufferedBytes: 64 * 1024, burst: 1000, messagesPerSecond: 1000 } });
    const session = newSessionId();
    try {
      const open = (participantId: string, role: ParticipantRole) => joinRelay(host, session, participantId, role);
      const provider = await open('dr-b', 'provider');
      const stalled = await open('pt-a', 'patient');
      stalled.socket.pause();
      const sdp = `v=0\r\n${'a=x\r\n'.repeat(8_000)}`;
      for (let i = 0; i < 400 && host.relay.participants(session).length === 2; i++) {
        provider.send({ type: 'offer', to: 'pt-a', sdp });
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(host.relay.participants(session)).toEqual([{ participantId: 'dr-b', role: 'provider' }]);
      expect(host.relay.stats().closedByCode[RelayCloseCode.BACKLOGGED]).toBe(1);
      expect(await provider.next((m) => m.type === 'presence' && m.state === 'lost')).toMatchObject({ participantId: 'pt-a' });
      provider.socket.terminate();
      stalled.socket.terminate();
    } finally {
      await host.close();
    }
  });
});
