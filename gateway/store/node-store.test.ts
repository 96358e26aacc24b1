import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from './database.js';
import { openNodeStore } from './node-store.js';

const count = (db: Db, table: string): number => (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;

// The node's wiring: the FHIR layer no longer validates R5, so the service every writer gets must.
describe('openNodeStore: the service the node and `careledger sync` write through', () => {
  let dir: string;
  let db: Db;
  let service: ReturnType<typeof openNodeStore>['service'];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'careledger-node-store-'));
    db = openDatabase(join(dir, 'careledger.db'));
    service = openNodeStore({
      db,
      masterKey: randomBytes(32),
      receipts: { receipt: () => ({ status: 'pending', retryAfterSeconds: 1 }), provenanceFor: () => [] },
    }).service;
  });
  afterEach(() => {
    db.close();
    service.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('validates R5 on the adapters path and the FHIR path alike, and stores nothing it rejects', async () => {
    // Patient.nickname is no FHIR element; an R4 Encounter.period (R5: actualPeriod) fails the same way.
    const invalid = { resourceType: 'Patient', id: 'p1', nickname: 'J' };
    const [result] = await service.submit([{ resource: invalid }], { source: 'hl7v2' });
    expect(result).toMatchObject({ ok: false, status: 400 });
    await expect(service.create(invalid)).rejects.toMatchObject({ outcome: { issue: [expect.objectContaining({ severity: 'error' })] } });
    expect(count(db, 'journal')).toBe(0);
    expect(count(db, 'resource_versions')).toBe(0);

    const [stored] = await service.submit([{ resource: { resourceType: 'Patient', id: 'p1', gender: 'female' } }], { source: 'hl7v2' });
    expect(stored).toMatchObject({ ok: true, result: { outcome: 'created' } });
    expect(count(db, 'journal')).toBe(1);
  });

  it('knows the R5 resource types: an unknown one is 404 before anything is read or written', async () => {
    await expect(service.read('Nonsense', 'x')).rejects.toMatchObject({ outcome: { id: 'not-found' } });
    await expect(service.create({ resourceType: 'Nonsense' })).rejects.toMatchObject({ outcome: { id: 'not-found' } });
  });
});
