import { createHmac } from 'node:crypto';
import type { Hex } from '../ledger/ports.js';

/**
 * Blindings of a hospital's chunk count commitments, derived from the node's master key:
 * HMAC-SHA512(HMAC-SHA256(masterKey, label), "registry/queryId/epoch/index") reduced below the
 * subgroup order (512 bits: the bias is negligible).
 *
 * Derived rather than drawn because large answers are posted in several transactions and the
 * contract keeps the sum of the chunk commitments posted so far: a node restarted mid-answer
 * proves again, and the release proof must open that on-chain sum, which it can only do when the
 * re-proved chunks carry the same commitments, i.e. the same blindings. Hiding is unchanged: the
 * blindings are unpredictable without the key, and a chunk gets the same blinding only when it
 * commits to the same count again (same query, epoch and chunk).
 */
export class AnswerBlindings {
  private readonly key: Buffer;

  constructor(masterKey: Buffer) {
    this.key = createHmac('sha256', masterKey).update('careledger-cohort-answer-blinding-v1').digest();
  }

  of(registry: Hex, queryId: bigint, epoch: bigint, subOrder: bigint): (index: number) => bigint {
    return (index) => {
      const digest = createHmac('sha512', this.key).update(`${registry.toLowerCase()}/${queryId}/${epoch}/${index}`, 'utf8').digest('hex');
      return BigInt(`0x${digest}`) % subOrder;
    };
  }
}
