// RFC 6962 / RFC 9162 Merkle tree over precomputed leaf hashes. Our leaf hash already carries
// the 0x00 domain prefix (see digest.ts), so leaves enter the tree as given and only interior
// nodes are hashed here, as SHA-256(0x01 ‖ left ‖ right).
//
// The tree is stored level by level: level 0 is the leaves, and each level pairs neighbours,
// carrying an unpaired last node up unchanged. That is the same tree as RFC 9162's recursive
// split at the largest power of two below n (the tests check it against the recursion), and
// it lets a batch build every node once and read each audit path in O(log n) lookups.
import { HASH_BYTES, nodeHash } from './digest.js';

/** Tree sizes and indices stay within uint32: the ledger records leafCount as uint32. */
const MAX_TREE_SIZE = 0xffffffff;

function requireHash(name: string, value: Uint8Array): void {
  if (!(value instanceof Uint8Array) || value.length !== HASH_BYTES) {
    throw new RangeError(`${name} must be a ${HASH_BYTES}-byte hash`);
  }
}

function isSize(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= MAX_TREE_SIZE;
}

/** Largest power of two strictly smaller than n (n >= 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function equalHashes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

export class MerkleTree {
  /** levels[0] are the leaves; levels[levels.length - 1] is [root]. */
  private readonly levels: Buffer[][];

  private constructor(levels: Buffer[][]) {
    this.levels = levels;
  }

  /** Builds every level once: n - 1 node hashes. Leaves are 32-byte leaf hashes. */
  static build(leaves: readonly Uint8Array[]): MerkleTree {
    if (!isSize(leaves.length)) throw new RangeError(`a tree needs 1..${MAX_TREE_SIZE} leaves, got ${leaves.length}`);
    const base: Buffer[] = new Array<Buffer>(leaves.length);
    for (let i = 0; i < leaves.length; i++) {
      const leaf = leaves[i]!;
      requireHash(`leaf ${i}`, leaf);
      base[i] = Buffer.isBuffer(leaf) ? leaf : Buffer.from(leaf.buffer, leaf.byteOffset, leaf.byteLength);
    }
    const levels: Buffer[][] = [base];
    let level = base;
    while (level.length > 1) {
      const next: Buffer[] = new Array<Buffer>((level.length + 1) >>> 1);
      const pairs = level.length >>> 1;
      for (let i = 0; i < pairs; i++) next[i] = nodeHash(level[2 * i]!, level[2 * i + 1]!);
      if (level.length % 2 === 1) next[pairs] = level[level.length - 1]!;
      levels.push(next);
      level = next;
    }
    return new MerkleTree(levels);
  }

  get size(): number {
    return this.levels[0]!.length;
  }

  get root(): Buffer {
    return this.levels[this.levels.length - 1]![0]!;
  }

  leaf(index: number): Buffer {
    this.requireIndex(index);
    return this.levels[0]![index]!;
  }

  /** RFC 9162 2.1.3.1 PATH(index, D[n]): sibling hashes from the leaf up to the root. */
  inclusionProof(index: number): Buffer[] {
    this.requireIndex(index);
    const path: Buffer[] = [];
    let i = index;
    for (let h = 0; h < this.levels.length - 1; h++) {
      const level = this.levels[h]!;
      const sibling = i % 2 === 0 ? i + 1 : i - 1;
      // An unpaired last node is carried up unchanged: no sibling at this level.
      if (sibling < level.length) path.push(level[sibling]!);
      i = Math.floor(i / 2);
    }
    return path;
  }

  /** RFC 9162 2.1.4.1 PROOF(m, D[n]): proves this tree extends its first `oldSize` leaves. */
  consistencyProof(oldSize: number): Buffer[] {
    if (!Number.isInteger(oldSize) || oldSize < 1 || oldSize > this.size) {
      throw new RangeError(`old size must be in 1..${this.size}, got ${oldSize}`);
    }
    const proof: Buffer[] = [];
    this.subproof(oldSize, 0, this.size, true, proof);
    return proof;
  }

  private subproof(m: number, lo: number, hi: number, complete: boolean, out: Buffer[]): void {
    const n = hi - lo;
    if (m === n) {
      if (!complete) out.push(this.rangeHash(lo, hi));
      return;
    }
    const k = splitPoint(n);
    if (m <= k) {
      this.subproof(m, lo, lo + k, complete, out);
      out.push(this.rangeHash(lo + k, hi));
    } else {
      this.subproof(m - k, lo + k, hi, false, out);
      out.push(this.rangeHash(lo, lo + k));
    }
  }

  /** MTH(D[lo:hi]). Every range the RFC recursion asks for is a stored node: an aligned full
   * subtree, or an aligned subtree cut off by the right edge of the tree. */
  private rangeHash(lo: number, hi: number): Buffer {
    let height = 0;
    while (2 ** height < hi - lo) height++;
    const width = 2 ** height;
    if (lo % width === 0 && (hi - lo === width || hi === this.size)) return this.levels[height]![lo / width]!;
    const k = splitPoint(hi - lo);
    return nodeHash(this.rangeHash(lo, lo + k), this.rangeHash(lo + k, hi));
  }

  private requireIndex(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.size) {
      throw new RangeError(`leaf index must be in 0..${this.size - 1}, got ${index}`);
    }
  }
}

/** Root of the tree over `leaves` (n >= 1). */
export function merkleRoot(leaves: readonly Uint8Array[]): Buffer {
  return MerkleTree.build(leaves).root;
}

/**
 * RFC 9162 2.1.3.2: the root that `proof` leads to from `leaf` at `index` in a tree of `size`,
 * or null when the proof cannot belong to such a tree (wrong length, index out of range,
 * malformed hashes).
 */
export function rootFromInclusionProof(
  index: number,
  size: number,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
): Buffer | null {
  if (!isSize(size) || !Number.isInteger(index) || index < 0 || index >= size) return null;
  if (!(leaf instanceof Uint8Array) || leaf.length !== HASH_BYTES) return null;
  // Plain division, not bit shifts: sizes go up to 2^32 - 1, past int32.
  let fn = index;
  let sn = size - 1;
  let r: Buffer = Buffer.from(leaf);
  for (const p of proof) {
    if (!(p instanceof Uint8Array) || p.length !== HASH_BYTES) return null;
    if (sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : null;
}

/** RFC 9162 2.1.3.2 inclusion proof verification. */
export function verifyInclusion(
  index: number,
  size: number,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  const computed = rootFromInclusionProof(index, size, leaf, proof);
  return computed !== null && equalHashes(computed, root);
}

/**
 * RFC 9162 2.1.4.2 consistency proof verification: the tree of `newSize` leaves with `newRoot`
 * starts with the tree of `oldSize` leaves with `oldRoot`. Equal sizes need an empty proof and
 * equal roots.
 */
export function verifyConsistency(
  oldSize: number,
  newSize: number,
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  if (!isSize(oldSize) || !isSize(newSize) || oldSize > newSize) return false;
  if (!(oldRoot instanceof Uint8Array) || oldRoot.length !== HASH_BYTES) return false;
  if (!(newRoot instanceof Uint8Array) || newRoot.length !== HASH_BYTES) return false;
  for (const p of proof) if (!(p instanceof Uint8Array) || p.length !== HASH_BYTES) return false;
  if (oldSize === newSize) return proof.length === 0 && equalHashes(oldRoot, newRoot);
  if (proof.length === 0) return false;

  // Step 2: when the old tree is a complete subtree its root is the first node of the path.
  const path = Number.isInteger(Math.log2(oldSize)) ? [oldRoot, ...proof] : proof;
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr: Buffer = Buffer.from(path[0]!);
  let sr: Buffer = Buffer.from(path[0]!);
  for (let i = 1; i < path.length; i++) {
    const c = path[i]!;
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalHashes(fr, oldRoot) && equalHashes(sr, newRoot);
}
