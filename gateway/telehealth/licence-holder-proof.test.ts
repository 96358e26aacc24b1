import { Wallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import type { Hex } from '../ledger/ports.js';
import { HolderChallenges, holderProofMessage, verifyHolderProof } from './licence-holder-proof.js';

const practitioner = Wallet.createRandom();
const subject = practitioner.address.toLowerCase() as Hex;
const SESSION = 'sess_4f9c2a7b1d';

describe('licence holder proof', () => {
  it("is the subject key's EIP-191 signature over this session's challenge", async () => {
    expect(holderProofMessage(SESSION, 'nonce-0001')).toBe(`careledger-telehealth-join:${SESSION}:nonce-0001`);
    const signature = await practitioner.signMessage(holderProofMessage(SESSION, 'nonce-0001'));
    expect(verifyHolderProof(subject, SESSION, 'nonce-0001', signature)).toBe(true);
    expect(verifyHolderProof(practitioner.address as Hex, SESSION, 'nonce-0001', signature)).toBe(true);
    expect(verifyHolderProof(Wallet.createRandom().address as Hex, SESSION, 'nonce-0001', signature)).toBe(false);
    expect(verifyHolderProof(subject, 'sess_other_session', 'nonce-0001', signature)).toBe(false);
    expect(verifyHolderProof(subject, SESSION, 'nonce-0002', signature)).toBe(false);
    expect(verifyHolderProof(subject, SESSION, 'nonce-0001', '0x1234')).toBe(false);
    // A ':' would let "a:b" + "c" and "a" + "b:c" sign the same text.
    expect(() => holderProofMessage('sess:evil', 'nonce-0001')).toThrow(/\[A-Za-z0-9_-\]/);
    expect(verifyHolderProof(subject, 'sess:evil', 'nonce-0001', signature)).toBe(false);
  });

  it('accepts each challenge once, for its session and subject, before it expires', async () => {
    let now = 1_000_000;
    const challenges = new HolderChallenges(60_000, () => now);
    const challenge = challenges.issue(SESSION, subject);
    expect(challenge.message).toBe(holderProofMessage(SESSION, challenge.nonce));
    const signature = await practitioner.signMessage(challenge.message);

    expect(challenges.redeem('sess_other_session', subject, challenge.nonce, signature)).toEqual({ ok: false, refusal: 'unknown-challenge' });
    expect(challenges.redeem(SESSION, Wallet.createRandom().address as Hex, challenge.nonce, signature)).toEqual({ ok: false, refusal: 'unknown-challenge' });
    const stranger = await Wallet.createRandom().signMessage(challenge.message);
    expect(challenges.redeem(SESSION, subject, challenge.nonce, stranger)).toEqual({ ok: false, refusal: 'wrong-signer' });
    expect(challenges.redeem(SESSION, subject, challenge.nonce, signature)).toEqual({ ok: true });
    // Replay of the accepted proof.
    expect(challenges.redeem(SESSION, subject, challenge.nonce, signature)).toEqual({ ok: false, refusal: 'unknown-challenge' });

    const late = challenges.issue(SESSION, subject);
    now += 60_000;
    expect(challenges.redeem(SESSION, subject, late.nonce, await practitioner.signMessage(late.message))).toEqual({ ok: false, refusal: 'expired-challenge' });
    challenges.issue(SESSION, subject);
    now += 60_000;
    expect(challenges.outstanding).toBe(0);
  });
});
