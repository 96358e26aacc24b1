// A participant's browser for WebRTC tests: a werift peer connection (pure TypeScript WebRTC)
// whose signaling goes through the host's relay socket. Descriptions are sent without their
// candidates and every ICE candidate travels as its own relayed message, so a connection that
// comes up proves the relayed candidates arrived. Give it a loopback STUN server
// (loopback-stun.ts): werift always queries one and waits 5 s for an unreachable one.

import { RTCPeerConnection, type RTCIceCandidate } from 'werift';
import type { IceCandidateInit } from '../../gateway/telehealth/signaling-messages.js';
import type { SignalingClient } from './telehealth-relay-fixture.js';

export class RelayedPeer {
  readonly pc: RTCPeerConnection;
  readonly candidatesSent: IceCandidateInit[] = [];
  private readonly early: IceCandidateInit[] = [];
  private remoteSet = false;

  constructor(
    readonly signaling: SignalingClient,
    private readonly remote: string,
    stunUrl: string,
  ) {
    this.pc = new RTCPeerConnection({ iceServers: [{ urls: stunUrl }], iceUseIpv6: false, iceAdditionalHostAddresses: ['127.0.0.1'] });
    this.pc.onIceCandidate.subscribe((candidate: RTCIceCandidate | undefined) => {
      const init = candidate ? (JSON.parse(JSON.stringify(candidate.toJSON())) as IceCandidateInit) : null;
      if (init) this.candidatesSent.push(init);
      signaling.send({ type: 'ice-candidate', to: this.remote, candidate: init });
    });
    signaling.socket.on('message', (data) => void this.onSignal(JSON.parse(data.toString()) as Record<string, unknown>));
  }

  async offer(): Promise<void> {
    await this.pc.setLocalDescription(await this.pc.createOffer());
    this.signaling.send({ type: 'offer', to: this.remote, sdp: withoutCandidates(this.pc.localDescription!.sdp) });
  }

  private async onSignal(message: Record<string, unknown>): Promise<void> {
    if (message.from !== this.remote) return;
    if (message.type === 'offer' || message.type === 'answer') {
      await this.pc.setRemoteDescription({ type: message.type, sdp: message.sdp as string });
      this.remoteSet = true;
      for (const candidate of this.early.splice(0)) await this.pc.addIceCandidate(candidate);
      if (message.type === 'offer') {
        await this.pc.setLocalDescription(await this.pc.createAnswer());
        this.signaling.send({ type: 'answer', to: this.remote, sdp: withoutCandidates(this.pc.localDescription!.sdp) });
      }
    } else if (message.type === 'ice-candidate' && message.candidate) {
      // Candidates can overtake the description they belong to; hold them until it is set.
      if (this.remoteSet) await this.pc.addIceCandidate(message.candidate as IceCandidateInit);
      else this.early.push(message.candidate as IceCandidateInit);
    }
  }

  connected(): Promise<void> {
    if (this.pc.connectionState === 'connected') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const { unSubscribe } = this.pc.connectionStateChange.subscribe((state) => {
        if (state === 'connected') {
          unSubscribe();
          resolve();
        } else if (state === 'failed') reject(new Error('the peer connection failed'));
      });
    });
  }
}

function withoutCandidates(sdp: string): string {
  return sdp
    .split('\r\n')
    .filter((line) => !line.startsWith('a=candidate:') && line !== 'a=end-of-candidates')
    .join('\r\n');
}
