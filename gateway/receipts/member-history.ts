// A member as it stood at one point of the chain, replayed from ConsortiumRegistry's events. Pure:
// the events come from the chain reader, so the same replay serves the CLI, the node and a
// browser build.
import type { ChainPosition, Hex, MembershipEvent } from '../ledger/ports.js';

export interface MemberState {
  orgId: string;
  roles: number;
  active: boolean;
  /** Signers at that point, lower-case. */
  signers: Hex[];
}

function before(event: ChainPosition, position: ChainPosition): boolean {
  return event.blockNumber < position.blockNumber || (event.blockNumber === position.blockNumber && event.logIndex < position.logIndex);
}

/**
 * Replays the events of `memberId` that come strictly before `position` (an anchor's own log), in
 * chain order whatever order they are given in. Null when the member was not registered yet.
 */
export function memberBefore(events: readonly MembershipEvent[], memberId: Hex, position: ChainPosition): MemberState | null {
  const id = memberId.toLowerCase();
  const relevant = events
    .filter((e) => e.memberId.toLowerCase() === id && before(e, position))
    .sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex);
  let state: MemberState | null = null;
  for (const event of relevant) {
    if (event.kind === 'member-added') {
      state = { orgId: event.orgId, roles: event.roles, active: true, signers: [] };
      continue;
    }
    // The registry emits MemberAdded before any other event of a member; anything else first is
    // not this registry's history.
    if (state === null) throw new Error(`membership history of ${memberId} starts with ${event.kind} at block ${event.blockNumber}, not member-added`);
    switch (event.kind) {
      case 'member-removed':
        state.active = false;
        break;
      case 'role-granted':
        state.roles |= event.role;
        break;
      case 'role-revoked':
        state.roles &= ~event.role;
        break;
      case 'signer-added':
        state.signers.push(event.signer.toLowerCase() as Hex);
        break;
      case 'signer-removed': {
        const signer = event.signer.toLowerCase();
        state.signers = state.signers.filter((s) => s !== signer);
        break;
      }
    }
  }
  return state;
}
