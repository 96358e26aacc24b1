import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConsentTables } from '../consent/consent-tables.js';
import { openConsentTables } from './consent-store.js';
import { openDatabase, type Db } from './database.js';
import { Vault } from './vault.js';

describe('the consent tables over SQLite', () => {
  let dir: string;
  let db: Db;
  let tables: ConsentTables;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'careledger-consent-store-'));
    db = openDatabase(join(dir, 'node.db'));
    tables = openConsentTables(db, new Vault(db, randomBytes(32)));
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps patient keys, one address per patient and one patient per address', async () => {
    const key = { patientId: 'p1', address: '0xaa', custody: 'custodial' as const, sealedKey: Buffer.from('sealed') };
    await tables.patientKeys.insert(key, 1);
    await tables.patientKeys.insert({ patientId: 'p2', address: '0xbb', custody: 'wallet', sealedKey: null }, 2);
    expect(await tables.patientKeys.get('p1')).toEqual(key);
    await expect(tables.patientKeys.insert({ ...key, patientId: 'p3' }, 3)).rejects.toThrow(/UNIQUE/);
    await tables.patientKeys.remove('p1');
    expect(await tables.patientKeys.all()).toEqual([{ patientId: 'p2', address: '0xbb', custody: 'wallet', sealedKey: null }]);
  });

  it('finds patient tokens by hash until they expire or the patient is revoked', async () => {
    await tables.patientTokens.insert('h1', 'p1', 'clerk', 1_000);
    await tables.patientTokens.insert('h2', 'p1', 'clerk', 2_000);
    await tables.patientTokens.insert('h3', 'p2', 'clerk', 2_000);
    expect(await tables.patientTokens.lookup('h1')).toEqual({ patientId: 'p1', expiresAt: 1_000 });
    await tables.patientTokens.removeExpired(1_000);
    expect(await tables.patientTokens.lookup('h1')).toBeNull();
    await tables.patientTokens.removePatient('p1');
    expect(await tables.patientTokens.lookup('h2')).toBeNull();
    expect(await tables.patientTokens.lookup('h3')).toEqual({ patientId: 'p2', expiresAt: 2_000 });
  });

  it('lists grants oldest first, records each once, and attaches their Consent', async () => {
    await tables.grants.insert({ grantId: '0x02', patientId: 'p1', scopeJson: '{"b":1}', scopeHash: 'h2' }, 20);
    await tables.grants.insert({ grantId: '0x01', patientId: 'p2', scopeJson: '{"a":1}', scopeHash: 'h1' }, 10);
    await tables.grants.insert({ grantId: '0x02', patientId: 'p1', scopeJson: '{"changed":1}', scopeHash: 'h9' }, 30);
    await tables.grants.attach('0x02', 'consent-1', '0xtx');
    expect(await tables.grants.all()).toEqual([
      { grantId: '0x01', patientId: 'p2', scopeJson: '{"a":1}', consentId: null, txHash: null },
      { grantId: '0x02', patientId: 'p1', scopeJson: '{"b":1}', consentId: 'consent-1', txHash: '0xtx' },
    ]);
    await tables.grants.removePatient('p1');
    await tables.grants.remove('0x01');
    expect(await tables.grants.all()).toEqual([]);
  });

  it('claims a member JWT id once until it expires', async () => {
    expect(await tables.memberJtis.claim('0xmember', 'jti-1', 100)).toBe(true);
    expect(await tables.memberJtis.claim('0xmember', 'jti-1', 100)).toBe(false);
    expect(await tables.memberJtis.claim('0xother', 'jti-1', 100)).toBe(true);
    await tables.memberJtis.removeExpired(100);
    expect(await tables.memberJtis.claim('0xmember', 'jti-1', 200)).toBe(true);
  });

  it('hands out break-glass events in order until each is marked sent or refused', async () => {
    const event = (n: number) => ({ accessor: '0xdoc', patientAddress: '0xaa', reasonHash: `0x${n}`, auditEventId: `audit-${n}` });
    await tables.emergencyOutbox.add(event(1), 1);
    await tables.emergencyOutbox.add(event(2), 2);
    const pending = await tables.emergencyOutbox.pending();
    expect(pending.map((entry) => entry.reasonHash)).toEqual(['0x1', '0x2']);
    await tables.emergencyOutbox.markSent(pending[0]!.seq, '0xtx1', 42);
    await tables.emergencyOutbox.markSent(pending[1]!.seq, 'rejected:NotEmergency', null);
    expect(await tables.emergencyOutbox.pending()).toEqual([]);
    expect(await tables.emergencyOutbox.sentFor('audit-1')).toEqual({ txHash: '0xtx1', blockNumber: 42 });
    expect(await tables.emergencyOutbox.sentFor('audit-2')).toEqual({ txHash: 'rejected:NotEmergency', blockNumber: null });
    expect(await tables.emergencyOutbox.sentFor('audit-3')).toBeNull();
  });
});
