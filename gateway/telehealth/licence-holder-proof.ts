// Proof that whoever presents a licence holds its subject key: an EIP-191 (personal_sign)
// signature over a challenge the host issued for one session. A credential alone proves nothing
// about its bearer (anyone it was shown to could replay it), so the host binds each join to a fresh
// nonce, accepts each nonce once, and lets it expire quickly.

import { randomBytes } from 'node:crypto';
import { verifyMessage } from 'ethers';
import type { Hex } from '../ledger/ports.js';

const PREFIX = 'careledger-telehealth-join';
/** Session ids and nonces are opaque tokens without ':' so the message splits one way only. */
const TOKEN = /^[A-Za-z0-9_-]{8,128}$/;
export const HOLDER_CHALLENGE_TTL_MS = 120_000;

/** What the practitioner's wallet signs (personal_sign) to join `sessionId`. */
export function holderProofMessage(sessionId: string, nonce: string): string {
  if (!TOKEN.test(sessionId) || !TOKEN.test(nonce)) {
    throw new Error('session id and nonce must be 8-128 characters of [A-Za-z0-9_-]');
  }
  return `${PREFIX}:${sessionId}:${nonce}`;
}

/** True when `signature` is `subject`'s EIP-191 signature over this session's challenge. */
export function verifyHolderProof(subject: Hex, sessionId: string, nonce: string, signature: string): boolean {
  if (!TOKEN.test(sessionId) || !TOKEN.test(nonce)) return false;
  try {
    return verifyMessage(holderProofMessage(sessionId, nonce), signature).toLowerCase() === subject.toLowerCase();
  } catch {
    return false;
  }
}

export type HolderProofRefusal = 'unknown-challenge' | 'expired-challenge' | 'wrong-signer';

/**
 * The host's outstanding challenges, in memory: a challenge is bound to one session and one
 * claimed subject, redeemed at most once, and forgotten when it expires. A failed redemption
 * leaves it outstanding (the rightful holder may still answer it before it expires).
 */
export class HolderChallenges {
  private readonly open = new Map<string, { sessionId: string; subject: Hex; expiresAt: number }>();

  constructor(
    private readonly ttlMs = HOLDER_CHALLENGE_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  issue(sessionId: string, subject: Hex): { nonce: string; message: string; expiresAt: number } {
    this.sweep();
    const nonce = randomBytes(18).toString('base64url');
    const message = holderProofMessage(sessionId, nonce);
    const expiresAt = this.now() + this.ttlMs;
    this.open.set(nonce, { sessionId, subject: subject.toLowerCase() as Hex, expiresAt });
    return { nonce, message, expiresAt };
  }

  redeem(sessionId: string, subject: Hex, nonce: string, signature: string): { ok: true } | { ok: false; refusal: HolderProofRefusal } {
    const challenge = this.open.get(nonce);
    if (!challenge || challenge.sessionId !== sessionId || challenge.subject !== subject.toLowerCase()) return { ok: false, refusal: 'unknown-challenge' };
    if (this.now() >= challenge.expiresAt) {
      this.open.delete(nonce);
      return { ok: false, refusal: 'expired-challenge' };
    }
    if (!verifyHolderProof(challenge.subject, sessionId, nonce, signature)) return { ok: false, refusal: 'wrong-signer' };
    this.open.delete(nonce);
    return { ok: true };
  }

  /** Challenges issued and neither redeemed nor expired. */
  get outstanding(): number {
    this.sweep();
    return this.open.size;
  }

  private sweep(): void {
    const now = this.now();
    // Insertion order is expiry order (one TTL for all), so the sweep stops at the first live one.
    for (const [nonce, challenge] of this.open) {
      if (now < challenge.expiresAt) break;
      this.open.delete(nonce);
    }
  }
}
