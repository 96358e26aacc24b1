// One participant's side of a consult call: the host's signaling relay (WebSocket, join token in
// the subprotocol: browsers cannot set headers on a WebSocket, and a query string lands in proxy
// logs) and one RTCPeerConnection per other participant. Media goes peer to peer or through the
// TURN servers the join handed out; the relay only carries offers, answers and ICE candidates.
//
// Who offers: the newcomer offers to everyone already in the room, so two parties never offer to
// each other at once. An observer may not offer (the relay closes it with 4403), so publishers
// offer to an observer when it arrives.

export interface JoinGrant {
  participantId: string;
  role: string;
  permissions: { publish: boolean; chat: boolean };
  token: string;
  signalPath: string;
  ice: { iceServers: RTCIceServer[]; iceTransportPolicy: RTCIceTransportPolicy };
}

export interface RemoteParty {
  participantId: string;
  role: string;
  stream: MediaStream | null;
  connection: RTCPeerConnectionState;
}

export interface CallState {
  /** connecting (socket), in-call, ended (by us or the relay). */
  phase: 'connecting' | 'in-call' | 'ended';
  remotes: RemoteParty[];
  /** Why the call ended, as a sentence, when the relay or the network ended it. */
  endedBecause: string | null;
}

type Inbound =
  | { type: 'welcome'; participantId: string; participants: Array<{ participantId: string; role: string }>; heartbeatIntervalMs: number }
  | { type: 'presence'; participantId: string; role: string; state: 'joined' | 'left' | 'lost' | 'ejected' }
  | { type: 'offer' | 'answer'; from: string; sdp: string }
  | { type: 'ice-candidate'; from: string; candidate: RTCIceCandidateInit | null }
  | { type: 'end'; from: string }
  | { type: 'peer-unavailable'; to: string };

/** The relay's close codes (docs/telehealth.md), as what the user reads and does next. */
const CLOSED_BECAUSE: Record<number, string> = {
  1000: 'The call ended.',
  1013: 'The connection fell too far behind: join again.',
  4001: 'You joined this consult from another tab or device, which took over the call.',
  4400: 'The relay refused a malformed message: reload the page and join again.',
  4401: 'The join token was refused (expired or already used): join again for a new one.',
  4403: 'You are no longer a participant of this consult, or not admitted yet.',
  4408: 'The connection went silent for too long: check the network and join again.',
  4409: 'The consult is closed.',
  4410: 'The patient’s consent was revoked or has lapsed, so the consult ended.',
  4411: 'The practitioner’s licence is no longer valid, so they were disconnected.',
  4412: 'The invitation was withdrawn.',
  4413: 'A message was over the relay’s size limit: join again.',
  4429: 'Too many messages too fast: join again.',
  4503: 'The host could not check the consult just now: join again in a moment.',
};

export function signalUrl(signalPath: string): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${signalPath}`;
}

interface Peer {
  role: string;
  pc: RTCPeerConnection;
  stream: MediaStream | null;
  /** Candidates that arrived before the remote description, applied once it is set. */
  pending: RTCIceCandidateInit[];
}

export class ConsultCall {
  private socket: WebSocket | null = null;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private readonly peers = new Map<string, Peer>();
  private phase: CallState['phase'] = 'connecting';
  private endedBecause: string | null = null;

  constructor(
    private readonly grant: JoinGrant,
    private readonly local: MediaStream | null,
    private readonly onChange: (state: CallState) => void,
  ) {}

  start(): void {
    const socket = new WebSocket(signalUrl(this.grant.signalPath), ['careledger.signal.v1', `careledger.token.${this.grant.token}`]);
    this.socket = socket;
    socket.onmessage = (event) => void this.receive(JSON.parse(String(event.data)) as Inbound);
    socket.onclose = (event) => this.finish(this.phase === 'ended' ? null : (CLOSED_BECAUSE[event.code] ?? `The relay closed the call (code ${event.code}): join again.`));
    socket.onerror = () => this.finish('The relay could not be reached: check that the node is running and join again.');
  }

  /** Leaves the consult: the relay tells the others, and the camera and microphone turn off. */
  hangUp(): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify({ type: 'end' }));
    this.finish(null);
  }

  private finish(because: string | null): void {
    if (this.phase === 'ended') return;
    this.phase = 'ended';
    this.endedBecause = because;
    clearInterval(this.heartbeat);
    for (const peer of this.peers.values()) peer.pc.close();
    this.peers.clear();
    this.local?.getTracks().forEach((track) => track.stop());
    if (this.socket && this.socket.readyState <= WebSocket.OPEN) this.socket.close(1000);
    this.emit();
  }

  private send(message: object): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  private emit(): void {
    this.onChange({
      phase: this.phase,
      endedBecause: this.endedBecause,
      remotes: [...this.peers.entries()].map(([participantId, peer]) => ({ participantId, role: peer.role, stream: peer.stream, connection: peer.pc.connectionState })),
    });
  }

  private peer(participantId: string, role: string): Peer {
    const known = this.peers.get(participantId);
    if (known) return known;
    const pc = new RTCPeerConnection({ iceServers: this.grant.ice.iceServers, iceTransportPolicy: this.grant.ice.iceTransportPolicy });
    const peer: Peer = { role, pc, stream: null, pending: [] };
    if (this.grant.permissions.publish && this.local) for (const track of this.local.getTracks()) pc.addTrack(track, this.local);
    else {
      pc.addTransceiver('audio', { direction: 'recvonly' });
      pc.addTransceiver('video', { direction: 'recvonly' });
    }
    pc.onicecandidate = (event) => this.send({ type: 'ice-candidate', to: participantId, candidate: event.candidate ? event.candidate.toJSON() : null });
    pc.ontrack = (event) => {
      peer.stream = event.streams[0] ?? new MediaStream([event.track]);
      this.emit();
    };
    pc.onconnectionstatechange = () => this.emit();
    this.peers.set(participantId, peer);
    return peer;
  }

  private drop(participantId: string): void {
    this.peers.get(participantId)?.pc.close();
    this.peers.delete(participantId);
  }

  private async offerTo(participantId: string, role: string): Promise<void> {
    const { pc } = this.peer(participantId, role);
    await pc.setLocalDescription(await pc.createOffer());
    this.send({ type: 'offer', to: participantId, sdp: pc.localDescription!.sdp });
  }

  private async described(peer: Peer, description: RTCSessionDescriptionInit): Promise<void> {
    await peer.pc.setRemoteDescription(description);
    for (const candidate of peer.pending.splice(0)) await peer.pc.addIceCandidate(candidate);
  }

  private async receive(message: Inbound): Promise<void> {
    switch (message.type) {
      case 'welcome':
        this.phase = 'in-call';
        this.heartbeat = setInterval(() => this.send({ type: 'heartbeat' }), message.heartbeatIntervalMs);
        if (this.grant.permissions.publish) {
          for (const other of message.participants) if (other.participantId !== message.participantId) await this.offerTo(other.participantId, other.role);
        }
        break;
      case 'presence':
        if (message.state === 'joined') {
          if (message.role === 'observer' && this.grant.permissions.publish) await this.offerTo(message.participantId, message.role);
          else this.peer(message.participantId, message.role);
        } else this.drop(message.participantId);
        break;
      case 'offer': {
        const peer = this.peer(message.from, this.peers.get(message.from)?.role ?? 'participant');
        await this.described(peer, { type: 'offer', sdp: message.sdp });
        await peer.pc.setLocalDescription(await peer.pc.createAnswer());
        this.send({ type: 'answer', to: message.from, sdp: peer.pc.localDescription!.sdp });
        break;
      }
      case 'answer': {
        const peer = this.peers.get(message.from);
        if (peer) await this.described(peer, { type: 'answer', sdp: message.sdp });
        break;
      }
      case 'ice-candidate': {
        const peer = this.peers.get(message.from);
        if (!peer || !message.candidate) break;
        if (peer.pc.remoteDescription) await peer.pc.addIceCandidate(message.candidate);
        else peer.pending.push(message.candidate);
        break;
      }
      case 'end':
        this.drop(message.from);
        break;
      case 'peer-unavailable':
        this.drop(message.to);
        break;
    }
    this.emit();
  }
}
