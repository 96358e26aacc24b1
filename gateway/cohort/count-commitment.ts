import { randomBytes } from 'node:crypto';
import type { BabyJub, Point } from 'circomlibjs';

/** A Baby Jubjub point in affine twisted-Edwards coordinates. */
export type CommitmentPoint = [bigint, bigint];

/**
 * Pedersen commitments to counts, count*G + blinding*H on Baby Jubjub, as computed by
 * circuits/src/count_commitment.circom. They add up, so a verifier can aggregate chunk
 * commitments without learning any chunk count.
 */
export interface CountCommitments {
  G: CommitmentPoint;
  H: CommitmentPoint;
  /** Order of the prime subgroup: blindings are drawn below it. */
  subOrder: bigint;
  identity: CommitmentPoint;
  commit(count: bigint, blinding: bigint): CommitmentPoint;
  add(a: CommitmentPoint, b: CommitmentPoint): CommitmentPoint;
  randomBlinding(): bigint;
}

export async function loadCountCommitments(): Promise<CountCommitments> {
  // Imported here: circomlibjs is ~20 MB of heap that a node needs only once it does ZK work.
  const { buildBabyjub, buildPedersenHash } = await import('circomlibjs');
  const babyJub: BabyJub = await buildBabyjub();
  const pedersen = await buildPedersenHash();
  const F = babyJub.F;
  const toBig = (p: Point): CommitmentPoint => [F.toObject(p[0]), F.toObject(p[1])];
  const toPoint = (p: CommitmentPoint): Point => [F.e(p[0]), F.e(p[1])];
  const g = babyJub.Base8;
  // circomlib's first Pedersen generator; the circuits hard-code the same coordinates.
  const h = pedersen.getBasePoint('blake', 0);
  return {
    G: toBig(g),
    H: toBig(h),
    subOrder: babyJub.subOrder,
    identity: [0n, 1n],
    commit: (count, blinding) => toBig(babyJub.addPoint(babyJub.mulPointEscalar(g, count), babyJub.mulPointEscalar(h, blinding))),
    add: (a, b) => toBig(babyJub.addPoint(toPoint(a), toPoint(b))),
    randomBlinding: () => BigInt(`0x${randomBytes(40).toString('hex')}`) % babyJub.subOrder,
  };
}
