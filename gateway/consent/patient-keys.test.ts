import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Hex } from '../ledger/ports.js';
import { openConsentTables } from '../store/consent-store.js';
import { openDatabase, type Db } from '../store/database.js';
import { Vault } from '../store/vault.js';
import type { ConsentTables } from './consent-tables.js';
import { PatientKeys } from './patient-keys.js';

const MEMBER = `0x${'11'.repeat(32)}` as Hex;

describe('patient keys over the consent tables', () => {
  let dir: string;
  let db: Db;
  let vault: Vault;
  let tables: ConsentTables;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'careledger-patient-keys-'));
    db = openDatabase(join(dir, 'node.db'));
    vault = new Vault(db, randomBytes(32));
    tables = openConsentTables(db, vault);
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates one custodial key for concurrent first uses, and finds it again after a restart', async () => {
    const keys = await PatientKeys.open(tables.patientKeys, vault, MEMBER);
    const [a, b] = await Promise.all([keys.ensureCustodial('p1'), keys.ensureCustodial('p1')]);
    expect(b).toEqual(a);
    expect(await tables.patientKeys.all()).toHaveLength(1);

    const reopened = await PatientKeys.open(tables.patientKeys, vault, MEMBER);
    expect(reopened.addressOf('p1')).toBe(a.address);
    expect(reopened.patientOf(a.address)).toBe('p1');
    expect((await reopened.custodialSigner('p1')).address.toLowerCase()).toBe(a.address);
  });

  it('links a wallet once, refuses it for a second patient even while the first link is being written, and forgets on erasure', async () => {
    const keys = await PatientKeys.open(tables.patientKeys, vault, MEMBER);
    const wallet = Wallet.createRandom();
    const sign = (patientId: string) => wallet.signMessage(keys.linkStatement(patientId, wallet.address));
    const signatures = [await sign('p1'), await sign('p2')];
    const [first, second] = await Promise.allSettled([
      keys.linkWallet('p1', wallet.address, signatures[0]!),
      keys.linkWallet('p2', wallet.address, signatures[1]!),
    ]);
    expect(first).toMatchObject({ status: 'fulfilled', value: { patientId: 'p1', custody: 'wallet' } });
    expect(second).toMatchObject({ status: 'rejected', reason: { message: expect.stringMatching(/linked to another patient/) } });
    await expect(keys.custodialSigner('p1')).rejects.toThrow(/holds their own wallet/);

    await keys.forget('p1');
    expect(keys.get('p1')).toBeNull();
    expect(keys.patientOf(wallet.address.toLowerCase() as Hex)).toBeNull();
    expect(await tables.patientKeys.all()).toEqual([]);
  });
});
