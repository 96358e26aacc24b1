import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MerkleTree, merkleRoot, rootFromInclusionProof, verifyConsistency, verifyInclusion } from './merkle.js';

// Independent reference: RFC 9162 section 2.1 definitions, written recursively and hashing with
// createHash so it shares no code with the implementation under test.
const sha = (...parts: Uint8Array[]): Buffer => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};
const node = (l: Uint8Array, r: Uint8Array): Buffer => sha(Buffer.from([1]), l, r);
const split = (n: number): number => 2 ** Math.ceil(Math.log2(n) - 1);
// Memoized by content: the exhaustive loops ask for the same subtrees thousands of times.
const mthMemo = new Map<string, Buffer>();
const mth = (d: Buffer[]): Buffer => {
  if (d.length === 1) return d[0]!;
  const key = d.map((b) => b.toString('hex', 0, 8)).join();
  let h = mthMemo.get(key);
  if (h === undefined) {
    h = node(mth(d.slice(0, split(d.length))), mth(d.slice(split(d.length))));
    mthMemo.set(key, h);
  }
  return h;
};
const path = (m: number, d: Buffer[]): Buffer[] => {
  if (d.length === 1) return [];
  const k = split(d.length);
  return m < k ? [...path(m, d.slice(0, k)), mth(d.slice(k))] : [...path(m - k, d.slice(k)), mth(d.slice(0, k))];
};
const subproof = (m: number, d: Buffer[], b: boolean): Buffer[] => {
  if (m === d.length) return b ? [] : [mth(d)];
  const k = split(d.length);
  return m <= k ? [...subproof(m, d.slice(0, k), b), mth(d.slice(k))] : [...subproof(m - k, d.slice(k), false), mth(d.slice(0, k))];
};
/** Left/right turns from the root down to leaf m: what an inclusion proof actually commits to. */
const shape = (m: number, n: number): string => {
  if (n === 1) return '';
  const k = split(n);
  return m < k ? `L${shape(m, k)}` : `R${shape(m - k, n - k)}`;
};

const consistencyShape = (m: number, n: number, b: boolean): string => {
  if (m === n) return b ? '' : 'E';
  const k = split(n);
  return m <= k ? `L${consistencyShape(m, k, b)}` : `R${consistencyShape(m - k, n - k, false)}`;
};

const leafOf = (data: Uint8Array): Buffer => sha(Buffer.from([0]), data);
const flip = (b: Uint8Array, bit: number): Buffer => {
  const c = Buffer.from(b);
  c[bit >> 3]! ^= 1 << (bit & 7);
  return c;
};
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const dh = (h: string): Buffer => Buffer.from(h, 'hex');

const LEAVES = Array.from({ length: 128 }, (_, i) => leafOf(Buffer.from(`leaf ${i}`)));

// Certificate Transparency reference data (transparency-dev/merkle proof/verify_test.go).
const CT_DATA = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(dh);
const CT_LEAVES = CT_DATA.map(leafOf);
const CT_ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const CT_INCLUSION: Array<[number, number, string[]]> = [
  [0, 8, ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4']],
  [5, 8, ['bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7']],
  [2, 3, ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125']],
  [1, 5, ['6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b']],
  [0, 1, []],
];
const CT_CONSISTENCY: Array<[number, number, string[]]> = [
  [1, 1, []],
  [1, 8, ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4']],
  [6, 8, ['0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7']],
  [2, 5, ['5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b']],
  [6, 7, ['0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a', 'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7']],
];

describe('RFC 6962 reference vectors (certificate-transparency)', () => {
  it('roots of the 1..8 leaf trees', () => {
    for (let n = 1; n <= 8; n++) expect(hex(merkleRoot(CT_LEAVES.slice(0, n)))).toBe(CT_ROOTS[n - 1]);
  });

  it.each(CT_INCLUSION)('inclusion proof for leaf %i of %i', (index, size, expected) => {
    const tree = MerkleTree.build(CT_LEAVES.slice(0, size));
    expect(tree.inclusionProof(index).map(hex)).toEqual(expected);
    expect(verifyInclusion(index, size, CT_LEAVES[index]!, expected.map(dh), dh(CT_ROOTS[size - 1]!))).toBe(true);
  });

  it.each(CT_CONSISTENCY)('consistency proof %i -> %i', (m, n, expected) => {
    const tree = MerkleTree.build(CT_LEAVES.slice(0, n));
    expect(tree.consistencyProof(m).map(hex)).toEqual(expected);
    expect(verifyConsistency(m, n, dh(CT_ROOTS[m - 1]!), dh(CT_ROOTS[n - 1]!), expected.map(dh))).toBe(true);
  });

  it('rejects the corruptions of the reference test suite', () => {
    const some = dh('abacaba000000000000000000000000000000000000000000060061e00123456');
    const empty = dh('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    for (const [index, size, p] of CT_INCLUSION.filter(([, , p]) => p.length > 0)) {
      const proof = p.map(dh);
      const root = dh(CT_ROOTS[size - 1]!);
      const leaf = CT_LEAVES[index]!;
      const probes: Array<[number, number, Uint8Array, Uint8Array[], Uint8Array]> = [
        [index - 1, size, leaf, proof, root],
        [index + 1, size, leaf, proof, root],
        [index ^ 2, size, leaf, proof, root],
        [index, size * 2, leaf, proof, root],
        [index, Math.floor(size / 2), leaf, proof, root],
        [index, size, Buffer.from('WrongLeaf'), proof, root],
        [index, size, leaf, proof, empty],
        [index, size, leaf, proof, some],
        [index, size, leaf, [...proof, Buffer.alloc(0)], root],
        [index, size, leaf, [...proof, root], root],
        [index, size, leaf, [Buffer.alloc(0), ...proof], root],
        [index, size, leaf, [root, ...proof], root],
        [index, size, leaf, proof.slice(0, -1), root],
        [index, size, leaf, [proof[0]!, some, ...proof.slice(1)], root],
      ];
      for (const [i, n, l, pr, r] of probes) expect(verifyInclusion(i, n, l, pr, r)).toBe(false);
    }
  });
});

describe('tree and inclusion proofs, exhaustively for n = 1..64', () => {
  it('root and every audit path match the RFC recursion', () => {
    for (let n = 1; n <= 64; n++) {
      const leaves = LEAVES.slice(0, n);
      const tree = MerkleTree.build(leaves);
      expect(tree.size).toBe(n);
      expect(hex(tree.root)).toBe(hex(mth(leaves)));
      for (let i = 0; i < n; i++) {
        expect(tree.inclusionProof(i).map(hex)).toEqual(path(i, leaves).map(hex));
        expect(tree.leaf(i)).toBe(leaves[i]);
      }
    }
  });

  it('every proof verifies, and fails under any flipped bit of path, leaf or root, or another index', () => {
    // Plain checks collected into one assertion: a million expect() calls would take a minute.
    const wronglyAccepted: string[] = [];
    const mustFail = (ok: boolean, what: string): void => {
      if (ok) wronglyAccepted.push(what);
    };
    let verified = 0;
    for (let n = 1; n <= 64; n++) {
      const leaves = LEAVES.slice(0, n);
      const tree = MerkleTree.build(leaves);
      const root = tree.root;
      // Every bit for the small trees; for larger ones a stride whose offset moves with the
      // index and path position, so each bit position is still hit across the suite.
      const stride = n <= 8 ? 1 : 61;
      for (let i = 0; i < n; i++) {
        const leaf = leaves[i]!;
        const proof = tree.inclusionProof(i);
        if (!verifyInclusion(i, n, leaf, proof, root)) throw new Error(`proof for ${i} of ${n} does not verify`);
        verified++;
        for (let bit = i % stride; bit < 256; bit += stride) {
          mustFail(verifyInclusion(i, n, leaf, proof, flip(root, bit)), `${i}/${n} root bit ${bit}`);
          mustFail(verifyInclusion(i, n, flip(leaf, bit), proof, root), `${i}/${n} leaf bit ${bit}`);
        }
        proof.forEach((p, k) => {
          for (let bit = (i + k) % stride; bit < 256; bit += stride) {
            const bad = proof.slice();
            bad[k] = flip(p, bit);
            mustFail(verifyInclusion(i, n, leaf, bad, root), `${i}/${n} path[${k}] bit ${bit}`);
          }
        });
        const others = new Set([i - 1, i + 1, n]);
        if (n <= 16 || i % 8 === 0) for (let j = 0; j < n; j++) others.add(j);
        for (let b = 0; b < 32; b++) others.add((i ^ (1 << b)) >>> 0);
        others.delete(i);
        for (const j of others) mustFail(verifyInclusion(j, n, leaf, proof, root), `${i}/${n} as index ${j}`);
        mustFail(verifyInclusion(i, n, leaf, [...proof, root], root), `${i}/${n} extended`);
        if (proof.length > 0) {
          mustFail(verifyInclusion(i, n, leaf, proof.slice(1), root), `${i}/${n} head dropped`);
          mustFail(verifyInclusion(i, n, leaf, proof.slice(0, -1), root), `${i}/${n} tail dropped`);
        }
      }
    }
    expect(wronglyAccepted).toEqual([]);
    expect(verified).toBe((64 * 65) / 2);
  });

  it('a wrong tree size verifies only when leaf i sits at the same position in both trees', () => {
    // RFC 9162 paths commit to the leaf's position, not to the tree size: index 0 of 5 and of 6
    // take the same turns. Receipts therefore also check the size against the chain's leafCount.
    const mismatches: string[] = [];
    let ambiguous = 0;
    for (let n = 1; n <= 64; n++) {
      const tree = MerkleTree.build(LEAVES.slice(0, n));
      for (let i = 0; i < n; i++) {
        const proof = tree.inclusionProof(i);
        const sizes = new Set<number>();
        for (let m = Math.max(1, n - 4); m <= n + 4; m++) sizes.add(m);
        for (let b = 0; b < 32; b++) sizes.add((n ^ (1 << b)) >>> 0);
        sizes.delete(n);
        for (const m of sizes) {
          const sameSpot = i < m && m <= 128 && shape(i, m) === shape(i, n);
          if (verifyInclusion(i, m, LEAVES[i]!, proof, tree.root) !== sameSpot) mismatches.push(`${i}/${n} as size ${m}`);
          if (sameSpot) ambiguous++;
        }
      }
    }
    expect(mismatches).toEqual([]);
    expect(ambiguous).toBeGreaterThan(0);
  });

  it('rootFromInclusionProof rejects malformed input instead of guessing', () => {
    const tree = MerkleTree.build(LEAVES.slice(0, 5));
    const proof = tree.inclusionProof(4);
    expect(rootFromInclusionProof(4, 5, LEAVES[4]!, proof)?.equals(tree.root)).toBe(true);
    expect(rootFromInclusionProof(5, 5, LEAVES[4]!, proof)).toBeNull();
    expect(rootFromInclusionProof(-1, 5, LEAVES[4]!, proof)).toBeNull();
    expect(rootFromInclusionProof(0.5, 5, LEAVES[4]!, proof)).toBeNull();
    expect(rootFromInclusionProof(0, 0, LEAVES[4]!, [])).toBeNull();
    expect(rootFromInclusionProof(0, 2 ** 32, LEAVES[4]!, [])).toBeNull();
    expect(rootFromInclusionProof(4, 5, LEAVES[4]!.subarray(1), proof)).toBeNull();
    expect(rootFromInclusionProof(4, 5, LEAVES[4]!, [proof[0]!.subarray(0, 31)])).toBeNull();
    expect(verifyInclusion(4, 5, LEAVES[4]!, proof, tree.root.subarray(0, 31))).toBe(false);
  });

  it('handles index and size beyond int32 without bit-operation overflow', () => {
    // A path for the last leaf of a 2^32 - 1 tree: 31 left siblings (the leaf is unpaired at level 0).
    const size = 2 ** 32 - 1;
    const proof = Array.from({ length: 31 }, (_, k) => LEAVES[k]!);
    let expected: Buffer = LEAVES[100]!;
    for (const p of proof) expected = node(p, expected);
    expect(rootFromInclusionProof(size - 1, size, LEAVES[100]!, proof)?.equals(expected)).toBe(true);
    expect(shape(size - 1, size)).toBe('R'.repeat(31));
  });

  it('builds from Uint8Array leaves and rejects bad leaves', () => {
    const asU8 = LEAVES.slice(0, 3).map((b) => new Uint8Array(b));
    expect(merkleRoot(asU8).equals(mth(LEAVES.slice(0, 3)))).toBe(true);
    expect(() => MerkleTree.build([])).toThrow(/1\.\.4294967295 leaves/);
    expect(() => MerkleTree.build([Buffer.alloc(31)])).toThrow(/leaf 0 must be a 32-byte hash/);
    const tree = MerkleTree.build(LEAVES.slice(0, 3));
    expect(() => tree.inclusionProof(3)).toThrow(/leaf index must be in 0\.\.2/);
    expect(() => tree.consistencyProof(0)).toThrow(/old size must be in 1\.\.3/);
  });
});

describe('consistency proofs, exhaustively for n = 1..64', () => {
  it('match the RFC recursion, verify, and fail when corrupted', () => {
    const roots = Array.from({ length: 65 }, (_, n) => (n === 0 ? Buffer.alloc(0) : mth(LEAVES.slice(0, n))));
    const wrong: string[] = [];
    const mustFail = (ok: boolean, what: string): void => {
      if (ok) wrong.push(what);
    };
    for (let n = 1; n <= 64; n++) {
      const tree = MerkleTree.build(LEAVES.slice(0, n));
      for (let m = 1; m <= n; m++) {
        const proof = tree.consistencyProof(m);
        const at = `${m}->${n}`;
        if (proof.map(hex).join() !== subproof(m, LEAVES.slice(0, n), true).map(hex).join()) wrong.push(`${at} differs from the RFC`);
        if (!verifyConsistency(m, n, roots[m]!, roots[n]!, proof)) wrong.push(`${at} does not verify`);
        if (m === n) {
          if (proof.length !== 0) wrong.push(`${at} not empty`);
          mustFail(verifyConsistency(m, n, roots[m]!, flip(roots[n]!, 3), []), `${at} different roots`);
          mustFail(verifyConsistency(m, n, roots[m]!, roots[n]!, [roots[m]!]), `${at} non-empty`);
          continue;
        }
        mustFail(verifyConsistency(m, n, roots[m]!, roots[n]!, []), `${at} empty`);
        mustFail(verifyConsistency(m, n, roots[n]!, roots[m]!, proof), `${at} swapped roots`);
        mustFail(verifyConsistency(n, m, roots[n]!, roots[m]!, proof), `${at} swapped sizes`);
        mustFail(verifyConsistency(m, n, roots[m]!, roots[n]!, proof.slice(0, -1)), `${at} truncated`);
        mustFail(verifyConsistency(m, n, roots[m]!, roots[n]!, [...proof, roots[m]!]), `${at} extended`);
        mustFail(verifyConsistency(m, n, roots[m]!, roots[n]!, [proof[0]!, ...proof]), `${at} prefixed`);
        for (let bit = (m + n) % 97; bit < 256; bit += 97) {
          mustFail(verifyConsistency(m, n, flip(roots[m]!, bit), roots[n]!, proof), `${at} old root bit ${bit}`);
          mustFail(verifyConsistency(m, n, roots[m]!, flip(roots[n]!, bit), proof), `${at} new root bit ${bit}`);
        }
        proof.forEach((p, k) => {
          for (let bit = (m + k) % 97; bit < 256; bit += 97) {
            const bad = proof.slice();
            bad[k] = flip(p, bit);
            mustFail(verifyConsistency(m, n, roots[m]!, roots[n]!, bad), `${at} proof[${k}] bit ${bit}`);
          }
        });
        for (const m2 of [m - 1, m + 1, m ^ 1, m ^ 2, m ^ 4, m * 2, m >> 1]) {
          if (m2 !== m) mustFail(verifyConsistency(m2, n, roots[m]!, roots[n]!, proof), `${at} as ${m2}->${n}`);
        }
        // Like inclusion paths, a consistency proof fixes the shape of the recursion, not the
        // new size: it verifies for another size exactly when the recursion takes the same turns.
        for (let n2 = Math.max(m, n - 4); n2 <= n + 4; n2++) {
          if (n2 === n) continue;
          const ok = verifyConsistency(m, n2, roots[m]!, roots[n]!, proof);
          if (ok !== (consistencyShape(m, n2, true) === consistencyShape(m, n, true))) wrong.push(`${at} as ${m}->${n2}: ${ok}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });
});
