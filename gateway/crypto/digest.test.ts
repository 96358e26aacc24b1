import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  digestOfCanonical,
  leafHash,
  memberIdOf,
  newSalt,
  nodeHash,
  resourceDigest,
  sha256,
  versionKey,
  versionReference,
} from './digest.js';

const sha = (...parts: Uint8Array[]): Buffer => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};

describe('hashing rules (CONVENTIONS.md)', () => {
  it('digest is SHA-256 of the canonical bytes', () => {
    expect(sha256('').toString('hex')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    const canonical = Buffer.from('{"id":"p1","resourceType":"Patient"}', 'utf8');
    expect(digestOfCanonical(canonical).equals(sha(canonical))).toBe(true);
    const resource = { resourceType: 'Patient', meta: { versionId: '7' }, id: 'p1' };
    expect(resourceDigest(resource).equals(sha(canonical))).toBe(true);
  });

  it('versionKey is SHA-256 of UTF-8 `Type/id/_history/versionId`', () => {
    expect(versionReference('Patient', 'p1', '2')).toBe('Patient/p1/_history/2');
    expect(versionKey('Patient', 'p1', '2').equals(sha(Buffer.from('Patient/p1/_history/2')))).toBe(true);
  });

  it('leaf is SHA-256(0x00 ‖ salt ‖ versionKey ‖ digest) and node is SHA-256(0x01 ‖ left ‖ right)', () => {
    const salt = Buffer.alloc(32, 0xaa);
    const key = Buffer.alloc(32, 0xbb);
    const digest = Buffer.alloc(32, 0xcc);
    expect(leafHash(salt, key, digest).equals(sha(Buffer.from([0]), salt, key, digest))).toBe(true);
    // Reusing the internal scratch buffer must not leak state between calls.
    const other = leafHash(Buffer.alloc(32, 1), Buffer.alloc(32, 2), Buffer.alloc(32, 3));
    expect(other.equals(sha(Buffer.from([0]), Buffer.alloc(32, 1), Buffer.alloc(32, 2), Buffer.alloc(32, 3)))).toBe(true);
    expect(leafHash(salt, key, digest).equals(sha(Buffer.from([0]), salt, key, digest))).toBe(true);
    expect(nodeHash(key, digest).equals(sha(Buffer.from([1]), key, digest))).toBe(true);
    expect(nodeHash(digest, key).equals(nodeHash(key, digest))).toBe(false);
  });

  it('leaf inputs must be exactly 32 bytes', () => {
    const ok = Buffer.alloc(32);
    expect(() => leafHash(Buffer.alloc(31), ok, ok)).toThrow(/salt must be 32 bytes/);
    expect(() => leafHash(ok, Buffer.alloc(33), ok)).toThrow(/versionKey must be 32 bytes/);
    expect(() => leafHash(ok, ok, Buffer.alloc(0))).toThrow(/digest must be 32 bytes/);
  });

  it('salts are 32 fresh random bytes', () => {
    const a = newSalt();
    const b = newSalt();
    expect(a.length).toBe(32);
    expect(a.equals(b)).toBe(false);
  });

  it('member id is keccak256 of the UTF-8 org id', () => {
    expect(memberIdOf('')).toBe('0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470');
    expect(memberIdOf('abc')).toBe('0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45');
  });
});
