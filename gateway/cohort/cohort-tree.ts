import { FEATURE_SCHEMA } from './feature-schema.js';
import type { PoseidonHash } from './poseidon.js';

/**
 * The hospital's committed cohort tree: a 16-ary Poseidon Merkle tree of fixed depth whose
 * leaves are record leaves in order, padded with 0. Its level-1 nodes are the chunk roots that
 * cohort_count proves over (a chunk is 16 consecutive leaves), so "tree of chunks" and "tree of
 * records" are the same tree, and the eligibility circuit proves a path through it.
 */
export interface CohortTree {
  depth: number;
  /** levels[0] = leaves, levels[depth] = [root]; each level holds only its non-padding prefix. */
  levels: bigint[][];
  root: bigint;
}

export interface InclusionPath {
  /** Position of the running node among its 16 siblings, leaf level first. */
  index: number[];
  /** The 16 children hashed at each level (the running node included), leaf level first. */
  children: bigint[][];
}

const ARITY = FEATURE_SCHEMA.tree.arity;

/** Roots of all-padding subtrees: empty[0] = 0 (the padding leaf), empty[l+1] = H(empty[l] x16). */
export function emptySubtreeRoots(hash: PoseidonHash, depth: number): bigint[] {
  const empty = [0n];
  for (let l = 0; l < depth; l++) empty.push(hash(Array<bigint>(ARITY).fill(empty[l])));
  return empty;
}

function parentLevel(hash: PoseidonHash, nodes: readonly bigint[], emptyChild: bigint): bigint[] {
  const parents: bigint[] = [];
  for (let i = 0; i < nodes.length; i += ARITY) {
    const group = nodes.slice(i, i + ARITY);
    while (group.length < ARITY) group.push(emptyChild);
    parents.push(hash(group));
  }
  return parents;
}

/** Builds the tree over `nodes` placed at level `fromLevel` (0 = leaves, 1 = chunk roots). */
function buildFrom(hash: PoseidonHash, nodes: readonly bigint[], fromLevel: number, depth: number): CohortTree {
  const capacity = ARITY ** (depth - fromLevel);
  if (nodes.length > capacity) throw new RangeError(`${nodes.length} nodes exceed the tree's ${capacity}`);
  const empty = emptySubtreeRoots(hash, depth);
  const levels: bigint[][] = [[...nodes]];
  for (let l = fromLevel; l < depth; l++) {
    const current = levels[levels.length - 1];
    levels.push(current.length === 0 ? [] : parentLevel(hash, current, empty[l]));
  }
  const top = levels[levels.length - 1];
  return { depth, levels, root: top.length === 0 ? empty[depth] : top[0] };
}

export function buildCohortTree(hash: PoseidonHash, leaves: readonly bigint[], depth: number = FEATURE_SCHEMA.tree.depth): CohortTree {
  return buildFrom(hash, leaves, 0, depth);
}

/** The anchored root recomputed from chunk roots alone: what a verifier of a count does. */
export function rootFromChunkRoots(hash: PoseidonHash, chunkRoots: readonly bigint[], depth: number = FEATURE_SCHEMA.tree.depth): bigint {
  return buildFrom(hash, chunkRoots, 1, depth).root;
}

/** Chunk roots of a tree: its level-1 nodes. */
export function chunkRoots(tree: CohortTree): bigint[] {
  return tree.levels[1];
}

export function inclusionPath(hash: PoseidonHash, tree: CohortTree, leafIndex: number): InclusionPath {
  if (!Number.isInteger(leafIndex) || leafIndex < 0 || leafIndex >= tree.levels[0].length) {
    throw new RangeError(`leaf ${leafIndex} is not in the tree`);
  }
  const empty = emptySubtreeRoots(hash, tree.depth);
  const index: number[] = [];
  const children: bigint[][] = [];
  let position = leafIndex;
  for (let l = 0; l < tree.depth; l++) {
    const start = position - (position % ARITY);
    const group = tree.levels[l].slice(start, start + ARITY);
    while (group.length < ARITY) group.push(empty[l]);
    index.push(position % ARITY);
    children.push(group);
    position = Math.floor(position / ARITY);
  }
  return { index, children };
}
