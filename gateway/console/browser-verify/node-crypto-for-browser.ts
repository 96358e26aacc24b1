// What the verifier's modules import from node:crypto, for the browser bundle (the console's vite
// config aliases node:crypto to this file). SHA-256 comes from ethers, already in the bundle for
// the chain reads, so the browser computes exactly the bytes the CLI does.
import { computeHmac, concat, randomBytes as ethersRandomBytes, sha256 } from 'ethers';

export function hash(algorithm: string, data: Uint8Array | string, encoding: 'buffer'): Buffer {
  if (algorithm !== 'sha256' || encoding !== 'buffer') throw new Error(`the browser verifier hashes only sha256 to a buffer, not ${algorithm} to ${encoding}`);
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  return Buffer.from(sha256(bytes).slice(2), 'hex');
}

/** gateway/crypto/random-pool.ts is loaded with digest.ts; the verifier itself never draws salts. */
export function randomFillSync(target: Uint8Array): Uint8Array {
  target.set(ethersRandomBytes(target.length));
  return target;
}

/** HMAC-SHA-256 as claim-fingerprint.ts uses it (update with strings or bytes, digest as hex): the payer's duplicate check. */
interface Hmac {
  update(data: Uint8Array | string): Hmac;
  digest(encoding: 'hex'): string;
}

interface Hasher {
  update(data: Uint8Array | string): Hasher;
  digest(encoding?: 'hex'): Buffer | string;
}

export function createHmac(algorithm: string, key: Uint8Array): Hmac {
  if (algorithm !== 'sha256') throw new Error(`the browser verifier computes only HMAC-SHA-256, not ${algorithm}`);
  const parts: Uint8Array[] = [];
  const hmac: Hmac = {
    update(data) {
      parts.push(typeof data === 'string' ? new TextEncoder().encode(data) : data);
      return hmac;
    },
    digest(encoding) {
      if (encoding !== 'hex') throw new Error(`the browser HMAC digests only to hex, not ${encoding}`);
      return computeHmac('sha256', key, concat(parts)).slice(2);
    },
  };
  return hmac;
}

/**
 * SHA-256 hashing and random values as the modules a claim check loads import them
 * (telehealth/licence-credential.ts beside the licence check): the claim verifier itself only
 * hashes, and draws nothing random.
 */
export function createHash(algorithm: string): Hasher {
  if (algorithm !== 'sha256') throw new Error(`the browser verifier hashes only sha256, not ${algorithm}`);
  const parts: Uint8Array[] = [];
  const hasher: Hasher = {
    update(data) {
      parts.push(typeof data === 'string' ? new TextEncoder().encode(data) : data);
      return hasher;
    },
    digest(encoding) {
      const hex = sha256(concat(parts)).slice(2);
      return encoding === 'hex' ? hex : Buffer.from(hex, 'hex');
    },
  };
  return hasher;
}

export function randomBytes(size: number): Buffer {
  return Buffer.from(ethersRandomBytes(size));
}

export function randomUUID(): string {
  return crypto.randomUUID();
}
