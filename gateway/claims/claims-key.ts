// The consortium's claims key: 32 random bytes shared out of band by the members and the payers
// (never on chain), under which claim-line fingerprints and claim tags are computed. A node finds
// it at CLAIMS_KEY_FILE or <DATA_DIR>/keys/claims.key; a payer passes --claims-key FILE. The file
// holds 64 hex digits; its key id (a hash that reveals nothing of the key) is what people compare.
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CLAIMS_KEY_BYTES } from './claim-fingerprint.js';

export class ClaimsKeyError extends Error {}

/** Where a node keeps the claims key: CLAIMS_KEY_FILE, else <dataDir>/keys/claims.key. */
export function claimsKeyPath(dataDir: string, env: NodeJS.ProcessEnv = process.env): string {
  return env.CLAIMS_KEY_FILE || join(dataDir, 'keys', 'claims.key');
}

export function parseClaimsKey(text: string, source: string): Buffer {
  const hex = text.trim().replace(/^0x/, '');
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
    throw new ClaimsKeyError(`${source} is not a claims key (${CLAIMS_KEY_BYTES} bytes as 64 hex digits): get the consortium's key file (careledger claims-key)`);
  }
  return Buffer.from(hex, 'hex');
}

export function readClaimsKey(path: string): Buffer {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ClaimsKeyError(`cannot read the claims key from ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return parseClaimsKey(text, path);
}

/** The key at `path`, or null when there is no file (the node then registers no fingerprints). */
export function claimsKeyIfPresent(path: string): Buffer | null {
  return existsSync(path) ? readClaimsKey(path) : null;
}

export function generateClaimsKey(): Buffer {
  return randomBytes(CLAIMS_KEY_BYTES);
}

/** Owner-only, written atomically; refuses to replace a key (fingerprints under another key never match). */
export function writeClaimsKey(path: string, key: Buffer): void {
  if (existsSync(path)) throw new ClaimsKeyError(`${path} already holds a claims key; replacing it would make every fingerprint registered so far unmatchable`);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(`${path}.tmp`, `${key.toString('hex')}\n`, { mode: 0o600 });
  chmodSync(`${path}.tmp`, 0o600);
  renameSync(`${path}.tmp`, path);
}

/** `sha256:` + the first 16 bytes of SHA-256 over a domain tag and the key: safe to read out on a phone call. */
export function claimsKeyId(key: Buffer): string {
  return `sha256:${createHash('sha256').update('careledger-claims-key-id/1').update(key).digest('hex').slice(0, 32)}`;
}
