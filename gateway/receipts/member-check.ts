// The `member` check of receipt verification: the anchor's sender was a signer of an active
// HOSPITAL member at the anchoring block, replayed from the pinned ConsortiumRegistry's events,
// with today's status reported beside it. A member removed (or a key retired) since is a
// warning, not a failure: what it anchored while it was a member stays evidence, and the payer
// decides how much weight to give it.
import { type AnchorRecord, type ChainPosition, type Hex, type Member, MemberRole, type MembershipEvent, type VerifierChainReader } from '../ledger/ports.js';
import { memberBefore } from './member-history.js';
import type { MemberCheck, MemberVerdict } from './verify.js';

export interface PinnedMembership {
  /** The pinned ConsortiumRegistry (trust file), never one named by the evidence. */
  consortiumRegistry: Hex;
  /** Where its history starts (trust file `membershipFromBlock`). */
  fromBlock: number;
}

interface History {
  toBlock: number;
  events: MembershipEvent[];
}

/** Distinct anchors whose positions are remembered; a batch's receipts share one anchor. */
const POSITION_CACHE_LIMIT = 4096;

/**
 * A MemberCheck over the registry's history. Histories are cached per member and extended to
 * later blocks on demand (past blocks do not change on a QBFT chain), so checking many receipts
 * reads each member's events once.
 */
export function hospitalMemberCheck(reader: VerifierChainReader, pinned: PinnedMembership): MemberCheck {
  const histories = new Map<string, Promise<History>>();
  const positions = new Map<string, Promise<ChainPosition>>();

  async function eventsUpTo(memberId: Hex, toBlock: number): Promise<MembershipEvent[]> {
    const key = memberId.toLowerCase();
    const previous = histories.get(key);
    const known = previous ? await previous : { toBlock: pinned.fromBlock - 1, events: [] };
    if (known.toBlock >= toBlock) return known.events;
    const extended = reader
      .membershipEvents(pinned.consortiumRegistry, memberId, known.toBlock + 1, toBlock)
      .then((events) => ({ toBlock, events: [...known.events, ...events] }));
    histories.set(key, extended);
    try {
      return (await extended).events;
    } catch (error) {
      if (histories.get(key) === extended) {
        if (previous) histories.set(key, previous);
        else histories.delete(key);
      }
      throw error;
    }
  }

  function positionOf(anchor: AnchorRecord): Promise<ChainPosition> {
    const key = `${anchor.member.toLowerCase()}#${anchor.sequence}@${anchor.txHash.toLowerCase()}`;
    let position = positions.get(key);
    if (!position) {
      if (positions.size >= POSITION_CACHE_LIMIT) positions.clear();
      position = reader.anchorPosition(anchor);
      positions.set(key, position);
      position.catch(() => positions.delete(key));
    }
    return position;
  }

  return async (anchor: AnchorRecord): Promise<MemberVerdict> => {
    const block = anchor.blockNumber;
    const submitter = anchor.submitter.toLowerCase() as Hex;
    if (block < pinned.fromBlock) {
      return { ok: false, reason: `The anchor at block ${block} predates the pinned ConsortiumRegistry (history from block ${pinned.fromBlock}).` };
    }
    const position = await positionOf(anchor);
    const then = memberBefore(await eventsUpTo(anchor.member, block), anchor.member, position);
    if (then === null) {
      return { ok: false, reason: `No member ${anchor.member} was registered in ConsortiumRegistry ${pinned.consortiumRegistry} before the anchor at block ${block}.` };
    }
    const who = `${then.orgId} (${anchor.member})`;
    if (!then.signers.includes(submitter)) {
      return { ok: false, reason: `Sender ${submitter} was not a signer of member ${who} at block ${block}; its signers then: ${then.signers.join(', ') || 'none'}.` };
    }
    if (!then.active) return { ok: false, reason: `Member ${who} had been removed before the anchor at block ${block}.` };
    if ((then.roles & MemberRole.HOSPITAL) === 0) return { ok: false, reason: `Member ${who} did not hold the HOSPITAL role at block ${block}.` };

    const today = todayStatus(await reader.memberNow(pinned.consortiumRegistry, anchor.member), submitter);
    const detail = `member ${who}: active HOSPITAL at block ${block} via signer ${submitter}; today: ${today.text}`;
    return today.changed ? { ok: true, detail, warning: true } : { ok: true, detail };
  };
}

function todayStatus(member: Member | null, signer: Hex): { text: string; changed: boolean } {
  // Registered members are never deleted, so null today means the registry is not the one whose
  // history was replayed: report it rather than guess.
  if (member === null) return { text: 'not found in the registry', changed: true };
  if (!member.active) return { text: 'removed', changed: true };
  const changes: string[] = [];
  if ((member.roles & MemberRole.HOSPITAL) === 0) changes.push('HOSPITAL role revoked since');
  if (!member.signers.includes(signer)) changes.push(`signer ${signer} retired since`);
  return changes.length === 0 ? { text: 'active', changed: false } : { text: `active, ${changes.join(', ')}`, changed: true };
}
