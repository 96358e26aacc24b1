// Envelope encryption for stored resources. Each patient compartment has its own data key,
// wrapped by the node's master key; erasing a patient destroys that one wrapped key
// (crypto-shredding) and leaves every other patient readable. AES-256-GCM throughout; the
// resource's version key is the associated data, so a sealed blob cannot be replayed under
// another resource's name.

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { OperationOutcomeError, gone } from '@medplum/core';
import { randomBytesPooled } from '../crypto/random-pool.js';
import type { Db } from './database.js';
import type { SealingVault } from './ports.js';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The compartment for resources that belong to no patient (Organization, Practitioner...). */
export const NODE_COMPARTMENT = 'node';

export class Vault implements SealingVault {
  private readonly keys = new Map<string, Buffer>();
  private readonly selectKey;
  private readonly insertKey;
  private readonly shredKey;

  constructor(
    db: Db,
    private readonly masterKey: Buffer,
  ) {
    if (masterKey.length !== 32) throw new Error('the vault master key must be 32 bytes');
    this.selectKey = db.prepare('SELECT wrapped, shredded_at FROM data_keys WHERE compartment = ?');
    this.insertKey = db.prepare('INSERT INTO data_keys (compartment, wrapped, created_at) VALUES (?, ?, ?)');
    this.shredKey = db.prepare('UPDATE data_keys SET wrapped = NULL, shredded_at = ? WHERE compartment = ?');
  }

  /** Encrypts for a compartment, creating its data key on first use (inside the caller's transaction). */
  seal(compartment: string, associated: string, plaintext: Buffer): Buffer {
    const key = this.dataKey(compartment, true);
    const iv = randomBytesPooled(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(associated));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]);
  }

  open(compartment: string, associated: string, sealed: Buffer): Buffer {
    const key = this.dataKey(compartment, false);
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
    decipher.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    decipher.setAAD(Buffer.from(associated));
    return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
  }

  /** Destroys a compartment's data key: everything sealed under it becomes unreadable for good. */
  shred(compartment: string): boolean {
    this.keys.delete(compartment);
    return this.shredKey.run(Date.now(), compartment).changes > 0;
  }

  isShredded(compartment: string): boolean {
    const row = this.selectKey.get(compartment) as { shredded_at: number | null } | undefined;
    return row?.shredded_at != null;
  }

  private dataKey(compartment: string, create: boolean): Buffer {
    const cached = this.keys.get(compartment);
    if (cached) return cached;
    const row = this.selectKey.get(compartment) as { wrapped: Buffer | null; shredded_at: number | null } | undefined;
    if (row) {
      if (row.wrapped === null) {
        throw new OperationOutcomeError({
          ...gone,
          issue: [{ severity: 'error', code: 'deleted', details: { text: 'The data of this patient was erased' } }],
        });
      }
      const key = this.unwrap(compartment, row.wrapped);
      this.keys.set(compartment, key);
      return key;
    }
    if (!create) throw new Error(`no data key for compartment ${compartment}`);
    const key = randomBytes(32);
    this.insertKey.run(compartment, this.wrap(compartment, key), Date.now());
    this.keys.set(compartment, key);
    return key;
  }

  private wrap(compartment: string, key: Buffer): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.masterKey, iv);
    cipher.setAAD(Buffer.from(`careledger-data-key:${compartment}`));
    const body = Buffer.concat([cipher.update(key), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]);
  }

  private unwrap(compartment: string, wrapped: Buffer): Buffer {
    const decipher = createDecipheriv('aes-256-gcm', this.masterKey, wrapped.subarray(0, IV_BYTES));
    decipher.setAuthTag(wrapped.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    decipher.setAAD(Buffer.from(`careledger-data-key:${compartment}`));
    return Buffer.concat([decipher.update(wrapped.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
  }

  /** Drops unwrapped keys from memory when a rollback may have discarded freshly created ones. */
  forgetCachedKeys(): void {
    this.keys.clear();
  }
}
