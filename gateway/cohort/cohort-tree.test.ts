import { beforeAll, describe, expect, it } from 'vitest';
import { buildCohortTree, chunkRoots, emptySubtreeRoots, inclusionPath, rootFromChunkRoots } from './cohort-tree.js';
import { NullifierSet } from './nullifier-set.js';
import { loadPoseidon, type PoseidonHash } from './poseidon.js';

let hash: PoseidonHash;
beforeAll(async () => {
  hash = await loadPoseidon();
});

/** Root of a full 16-ary tree computed naively over all 16^depth leaves: the reference. */
function naiveRoot(leaves: bigint[], depth: number): bigint {
  let level = [...leaves, ...Array<bigint>(16 ** depth - leaves.length).fill(0n)];
  while (level.length > 1) level = Array.from({ length: level.length / 16 }, (_, i) => hash(level.slice(16 * i, 16 * i + 16)));
  return level[0];
}

describe('cohort tree', () => {
  const leaves = Array.from({ length: 37 }, (_, i) => BigInt(i + 1) * 1000003n);

  it('equals a naive full-tree computation with zero padding', () => {
    expect(buildCohortTree(hash, leaves, 3).root).toBe(naiveRoot(leaves, 3));
    expect(buildCohortTree(hash, [], 2).root).toBe(emptySubtreeRoots(hash, 2)[2]);
  });

  it('rebuilds the root from chunk roots alone', () => {
    const tree = buildCohortTree(hash, leaves, 3);
    expect(chunkRoots(tree)).toHaveLength(3);
    expect(rootFromChunkRoots(hash, chunkRoots(tree), 3)).toBe(tree.root);
  });

  it('gives paths whose levels hash up to the root', () => {
    const tree = buildCohortTree(hash, leaves, 3);
    for (const index of [0, 15, 16, 36]) {
      const path = inclusionPath(hash, tree, index);
      let running = leaves[index];
      path.children.forEach((children, level) => {
        expect(children[path.index[level]]).toBe(running);
        running = hash(children);
      });
      expect(running).toBe(tree.root);
    }
    expect(() => inclusionPath(hash, tree, 37)).toThrow(RangeError);
  });

  it('refuses more leaves than the depth holds', () => {
    expect(() => buildCohortTree(hash, Array<bigint>(257).fill(1n), 2)).toThrow(RangeError);
  });
});

describe('NullifierSet', () => {
  it('spends a nullifier once per scope', () => {
    const set = new NullifierSet();
    expect(set.spend(1n, 42n)).toBe(true);
    expect(set.spend(1n, 42n)).toBe(false);
    expect(set.has(1n, 42n)).toBe(true);
    expect(set.spend(2n, 42n)).toBe(true);
    expect(set.size(1n)).toBe(1);
  });
});
