import { createHash } from 'node:crypto';

/**
 * The eligibility scope (nullifier domain) of a trial: the first 31 bytes of
 * SHA-256("urn:careledger:trial:" + trialId) as a field element. Any member derives the same id
 * from the trial's public identifier (e.g. an NCT number), and nullifiers of different trials
 * are unlinkable.
 */
export function trialScopeId(trialId: string): bigint {
  const digest = createHash('sha256').update(`urn:careledger:trial:${trialId}`, 'utf8').digest('hex');
  return BigInt(`0x${digest.slice(0, 62)}`);
}
