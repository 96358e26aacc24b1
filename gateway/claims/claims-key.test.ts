import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ClaimsKeyError, claimsKeyId, claimsKeyIfPresent, claimsKeyPath, generateClaimsKey, parseClaimsKey, readClaimsKey, writeClaimsKey } from './claims-key.js';

describe('the claims key file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'careledger-claims-key-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lives at CLAIMS_KEY_FILE, else in the node keys folder', () => {
    expect(claimsKeyPath('/data', {})).toBe('/data/keys/claims.key');
    expect(claimsKeyPath('/data', { CLAIMS_KEY_FILE: '/secrets/claims.key' })).toBe('/secrets/claims.key');
  });

  it('is written owner-only, read back, and never replaced', () => {
    const path = join(dir, 'keys', 'claims.key');
    const key = generateClaimsKey();
    expect(claimsKeyIfPresent(path)).toBeNull();
    writeClaimsKey(path, key);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8')).toBe(`${key.toString('hex')}\n`);
    expect(readClaimsKey(path).equals(key)).toBe(true);
    expect(() => writeClaimsKey(path, generateClaimsKey())).toThrow(/already holds a claims key/);
    expect(readClaimsKey(path).equals(key)).toBe(true);
  });

  it('refuses anything but 32 bytes of hex, saying what it wants', () => {
    expect(parseClaimsKey(`0x${'ab'.repeat(32)}\n`, 'x').equals(Buffer.alloc(32, 0xab))).toBe(true);
    for (const text of ['', 'ab'.repeat(31), 'zz'.repeat(32), 'ab'.repeat(33)]) {
      expect(() => parseClaimsKey(text, 'the file')).toThrow(ClaimsKeyError);
    }
    const bad = join(dir, 'bad.key');
    writeFileSync(bad, 'not a key');
    expect(() => readClaimsKey(bad)).toThrow(`${bad} is not a claims key (32 bytes as 64 hex digits)`);
    expect(() => readClaimsKey(join(dir, 'missing.key'))).toThrow(/cannot read the claims key/);
  });

  it('has an id to compare out of band that is stable and differs per key', () => {
    const key = Buffer.alloc(32, 1);
    expect(claimsKeyId(key)).toMatch(/^sha256:[0-9a-f]{32}$/);
    expect(claimsKeyId(Buffer.from(key))).toBe(claimsKeyId(key));
    expect(claimsKeyId(Buffer.alloc(32, 2))).not.toBe(claimsKeyId(key));
    expect(claimsKeyId(key)).not.toContain(key.toString('hex').slice(0, 16));
  });
});
