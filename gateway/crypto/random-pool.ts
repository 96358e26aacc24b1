// Cryptographically random bytes drawn from a pooled buffer. Intake needs 44 random bytes per
// resource version (salt + IV); one randomFillSync call per 64 KiB instead of two per resource
// takes that cost off the hot path. Each caller gets its own copy, never a view of the pool.

import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 64 * 1024;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let offset = POOL_BYTES;

export function randomBytesPooled(length: number): Buffer {
  if (length > POOL_BYTES) throw new RangeError(`at most ${POOL_BYTES} pooled random bytes at a time`);
  if (offset + length > POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  const out = Buffer.from(pool.subarray(offset, offset + length));
  offset += length;
  return out;
}
