import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startMedplumEhr, type MedplumEhr } from '../../test/support/ehr/medplum-ehr.js';
import { expectedDigests } from '../../test/support/ehr/ehr-expectations.js';
import { r4Observation, r4Patient } from '../../test/support/r4-samples.js';
import { currentDigests, journalCount, openTestNode, type TestNode } from '../../test/support/test-store.js';
import { FhirHttpClient } from './fhir-http-client.js';
import { RestSync } from './rest-sync.js';
import { smartBackendServicesAuth } from './smart-backend-auth.js';
import { SyncCursorStore } from '../../gateway/store/sync-cursor-store.js';
import { eventually } from '../../test/support/eventually.js';

const TYPES = ['Patient', 'Observation'] as const;

describe('REST sync from a Medplum EHR over HTTP', () => {
  let ehr: MedplumEhr;
  let ehrClient: FhirHttpClient;
  let dir: string;
  let node: TestNode;
  let retries: string[];

  beforeAll(async () => {
    ehr = await startMedplumEhr();
  });
  afterAll(() => ehr.close());

  beforeEach(() => {
    ehr.repo.clear();
    dir = mkdtempSync(join(tmpdir(), 'careledger-rest-sync-'));
    node = openTestNode(dir, randomBytes(32));
    retries = [];
    ehrClient = new FhirHttpClient({ baseUrl: ehr.baseUrl, auth: auth() });
  });
  afterEach(() => {
    node.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function auth() {
    return smartBackendServicesAuth({ ...ehr.client, scope: 'system/Patient.rs system/Observation.rs', fhirBase: ehr.baseUrl });
  }

  function restSync(pageSize = 7): RestSync {
    return new RestSync({
      ehr: 'ehr-a',
      server: { baseUrl: ehr.baseUrl, auth: auth(), retry: { baseDelayMs: 5 }, onRetry: (info) => retries.push(info.reason) },
      fhirVersion: 'R4',
      types: TYPES,
      intake: node.store,
      deleter: (type, id) => node.store.delete(type, id),
      cursors: new SyncCursorStore(node.db),
      pageSize,
    });
  }

  const put = (resource: { resourceType: string; id?: string }) =>
    ehrClient.json(`${resource.resourceType}/${resource.id}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/fhir+json' },
      body: JSON.stringify(resource),
    });
  const del = (reference: string) => ehrClient.request(reference, { method: 'DELETE' });

  async function expectInSync(): Promise<void> {
    expect(currentDigests(node.db)).toEqual(await expectedDigests(ehr.repo, TYPES));
  }

  it('brings creates, updates and deletes over, and a repeated round changes nothing', async () => {
    for (let i = 0; i < 20; i++) await put(r4Patient(`p${i}`));
    for (let i = 0; i < 30; i++) await put(r4Observation(`o${i}`, `p${i % 20}`, 60 + i));
    const sync = restSync();
    const first = await sync.syncOnce();
    expect(first.map((r) => [r.type, r.stored, r.rejected.length])).toEqual([['Patient', 20, 0], ['Observation', 30, 0]]);
    await expectInSync();
    expect(journalCount(node.db, 'rest-sync:ehr-a')).toBe(50);

    await put(r4Patient('p3', 'Tran'));
    await put(r4Observation('o4', 'p4', 140));
    await put(r4Observation('o5', 'p5', 141));
    await del('Observation/o6');
    await del('Patient/p19');
    await put(r4Patient('p20'));
    const second = await sync.syncOnce();
    expect(second.map((r) => [r.type, r.stored, r.deleted])).toEqual([['Patient', 2, 1], ['Observation', 2, 1]]);
    await expectInSync();
    await expect(node.store.read('Observation', 'o6')).rejects.toMatchObject({ outcome: { id: 'gone' } });
    expect(journalCount(node.db)).toBe(50 + 6);

    const third = await sync.syncOnce();
    expect(third.map((r) => r.stored + r.deleted + r.unchanged)).toEqual([0, 0]);
    expect(journalCount(node.db)).toBe(56);
    // One token for all of it: the client caches until shortly before expiry.
    expect(ehr.tokens.tokensIssued.length).toBeLessThanOrEqual(3);
  });

  it('walks a run of resources sharing one lastUpdated longer than a page without loss or repeat', async () => {
    const instant = '2024-06-01T08:00:00.000Z';
    for (let i = 0; i < 25; i++) {
      await ehr.repo.createResource({ ...r4Patient(`tie${i}`), meta: { lastUpdated: instant } });
    }
    await ehr.repo.createResource({ ...r4Patient('later'), meta: { lastUpdated: '2024-06-01T08:00:00.001Z' } });
    for (let i = 25; i < 31; i++) {
      await ehr.repo.createResource({ ...r4Patient(`tie${i}`), meta: { lastUpdated: '2024-06-01T08:00:00.001Z' } });
    }
    const sync = restSync(10);
    const [patients] = await sync.syncOnce();
    expect(patients!.stored).toBe(32);
    expect(patients!.unchanged).toBe(0);
    await expectInSync();
    const again = await sync.syncOnce();
    expect(again[0]!.stored + again[0]!.unchanged).toBe(0);
    expect(journalCount(node.db)).toBe(32);
  });

  it('keeps a delete followed by a re-create alive', async () => {
    await put(r4Patient('p1'));
    const sync = restSync();
    await sync.syncOnce();
    await del('Patient/p1');
    await put(r4Patient('p1', 'Reborn'));
    const [patients] = await sync.syncOnce();
    expect(patients!.deleted).toBe(0);
    expect((await node.store.read('Patient', 'p1')).resource).toMatchObject({ name: [{ family: 'Reborn' }] });
  });

  it('retries 5xx and 429 (honouring Retry-After) and renews a refused token', async () => {
    for (let i = 0; i < 5; i++) await put(r4Patient(`p${i}`));
    const sync = restSync();
    await sync.syncOnce();
    for (let i = 5; i < 10; i++) await put(r4Patient(`p${i}`));
    ehr.fail({ status: 503, times: 2, match: /^Patient\?/ });
    ehr.fail({ status: 429, retryAfter: 1, match: /^Observation\?/ });
    ehr.tokens.revokeAll();
    const started = Date.now();
    const [patients] = await sync.syncOnce();
    expect(patients!.stored).toBe(5);
    expect(retries).toEqual(['HTTP 503', 'HTTP 503', 'HTTP 429']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    await expectInSync();
  });

  it('polls until stopped', async () => {
    const sync = restSync();
    const errors: unknown[] = [];
    sync.start(30, (error) => errors.push(error));
    await put(r4Patient('polled'));
    await eventually(() => node.store.read('Patient', 'polled'), 5000, 20);
    await sync.stop();
    expect(errors).toEqual([]);
  });
});
