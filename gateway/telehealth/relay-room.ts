// One consult's signaling room: the participants admitted to it, one connection each, and who
// hears what. Frames are relayed from memory to the peers' sockets and kept nowhere. No I/O of
// its own: a connection is anything that can send a text frame and be closed.

import type { OutboundMessage, PresenceState, RoomMember } from './signaling-messages.js';
import type { Participant } from './ports.js';

export interface RoomConnection {
  readonly participant: Participant;
  send(text: string): void;
  close(code: number, reason: string): void;
}

export class RelayRoom {
  private readonly connections = new Map<string, RoomConnection>();

  constructor(readonly sessionId: string) {}

  get size(): number {
    return this.connections.size;
  }

  members(): RoomMember[] {
    return [...this.connections.values()].map(({ participant }) => ({ participantId: participant.participantId, role: participant.role }));
  }

  has(connection: RoomConnection): boolean {
    return this.connections.get(connection.participant.participantId) === connection;
  }

  connectionOf(participantId: string): RoomConnection | undefined {
    return this.connections.get(participantId);
  }

  /** Adds a connection; returns the older connection of the same participant, which the caller closes. */
  admit(connection: RoomConnection): RoomConnection | undefined {
    const { participantId, role } = connection.participant;
    const previous = this.connections.get(participantId);
    this.connections.set(participantId, connection);
    if (!previous) this.broadcast({ type: 'presence', participantId, role, state: 'joined' }, participantId);
    return previous;
  }

  /** Removes a connection (if it is still the participant's current one) and tells the others. */
  remove(connection: RoomConnection, state: Exclude<PresenceState, 'joined'>): boolean {
    const { participantId, role } = connection.participant;
    if (this.connections.get(participantId) !== connection) return false;
    this.connections.delete(participantId);
    this.broadcast({ type: 'presence', participantId, role, state }, participantId);
    return true;
  }

  /** Sends to one participant; false when they are not in the room. */
  sendTo(participantId: string, message: OutboundMessage | Record<string, unknown>): boolean {
    const connection = this.connections.get(participantId);
    if (!connection) return false;
    connection.send(JSON.stringify(message));
    return true;
  }

  /** Sends to everyone in the room but `except`; the count reached. */
  broadcast(message: OutboundMessage | Record<string, unknown>, except?: string): number {
    const text = JSON.stringify(message);
    let reached = 0;
    for (const [participantId, connection] of this.connections) {
      if (participantId === except) continue;
      connection.send(text);
      reached++;
    }
    return reached;
  }

  /** Closes every connection with one code (the session closed, or everyone was ejected). */
  closeAll(code: number, reason: string): RoomConnection[] {
    const closed = [...this.connections.values()];
    this.connections.clear();
    for (const connection of closed) connection.close(code, reason);
    return closed;
  }
}
