// A real WebRTC connection set up through the signaling relay: two werift peers (pure TypeScript
// WebRTC), the host's provider and the patient, each on a real WebSocket to the relay with a join
// token, exchange the offer, the answer and their ICE candidates only through the relay (the
// descriptions go without candidates, so ICE works only if the relayed candidates arrive), reach
// `connected`, and carry a data-channel message peer to peer. ICE runs on loopback with a local
// STUN server (test/support/loopback-stun.ts), so it takes well under a second instead of ~10 s.

import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoopbackStun, type LoopbackStun } from '../support/loopback-stun.js';
import { RelayedPeer } from '../support/webrtc-peer.js';
import { SignalingClient, newSessionId, startRelayHost, type RelayHost } from '../support/telehealth-relay-fixture.js';

describe('WebRTC through the signaling relay (werift)', () => {
  let host: RelayHost;
  let stun: LoopbackStun;
  beforeAll(async () => {
    host = await startRelayHost();
    stun = await startLoopbackStun();
  });
  afterAll(async () => {
    await host.close();
    await stun.close();
  });

  it('connects the provider and the patient peer to peer and carries a data-channel message', async () => {
    const session = newSessionId();
    const enter = async (participantId: string, role: 'provider' | 'patient') => {
      const { token } = await host.tokens.issue(session, host.gate.add(session, participantId, role));
      const client = await SignalingClient.open(host.wsBase, session, token);
      await client.next((m) => m.type === 'welcome');
      return client;
    };
    const provider = new RelayedPeer(await enter('dr-b', 'provider'), 'pt-a', stun.url);
    const patient = new RelayedPeer(await enter('pt-a', 'patient'), 'dr-b', stun.url);
    try {
      const received = new Promise<string>((resolve) => {
        patient.pc.onDataChannel.subscribe((channel) => channel.onMessage.subscribe((data) => resolve(data.toString())));
      });
      const channel = provider.pc.createDataChannel('consult');
      const opened = new Promise<void>((resolve) => channel.stateChanged.subscribe((state) => state === 'open' && resolve()));
      const started = performance.now();
      await provider.offer();

      await Promise.all([provider.connected(), patient.connected()]);
      await opened;
      channel.send('the rash photo is in the chart');
      expect(await received).toBe('the rash photo is in the chart');
      const seconds = (performance.now() - started) / 1000;
      expect(seconds).toBeLessThan(10);

      // The descriptions went without candidates: ICE used those relayed one by one.
      const offer = await patient.signaling.next((m) => m.type === 'offer');
      expect(offer.sdp as string).not.toMatch(/a=candidate:/);
      expect(provider.candidatesSent.length).toBeGreaterThan(0);
      expect(patient.candidatesSent.length).toBeGreaterThan(0);
      const relayedToPatient = patient.signaling.received.filter((m) => m.type === 'ice-candidate' && m.candidate !== null);
      expect(relayedToPatient.map((m) => m.candidate)).toEqual(provider.candidatesSent);
      expect(relayedToPatient.every((m) => m.from === 'dr-b')).toBe(true);
      expect(host.relay.stats().relayed).toBeGreaterThanOrEqual(2 + provider.candidatesSent.length + patient.candidatesSent.length);

      // Signaling is never persisted: no SDP in the host's database files.
      const dir = dirname(host.db.name);
      for (const file of readdirSync(dir)) expect(readFileSync(join(dir, file)).includes('a=fingerprint')).toBe(false);
    } finally {
      await provider.pc.close();
      await patient.pc.close();
      provider.signaling.socket.terminate();
      patient.signaling.socket.terminate();
    }
  }, 20_000);
});
