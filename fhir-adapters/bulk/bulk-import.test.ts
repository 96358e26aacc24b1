import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { exportJWK } from 'jose';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smartBackendServicesAuth } from '../rest-sync/smart-backend-auth.js';
import { expectedDigests } from '../../test/support/ehr/ehr-expectations.js';
import { startMedplumEhr, type MedplumEhr } from '../../test/support/ehr/medplum-ehr.js';
import { r4Observation, r4Patient } from '../../test/support/r4-samples.js';
import { currentDigests, journalCount, openTestNode, type TestNode } from '../../test/support/test-store.js';
import { runBulkImport, type BulkProgress } from './bulk-import.js';
import { bulkSyncCommand, parseBulkSyncArgs } from './bulk-sync-command.js';
import { BulkImportJobStore } from '../../gateway/store/bulk-import-job-store.js';

describe('Bulk Data import from an R4 EHR with SMART Backend Services', () => {
  let ehr: MedplumEhr;
  let dir: string;
  let node: TestNode;

  beforeAll(async () => {
    ehr = await startMedplumEhr({ export: { pollsBeforeReady: 1, retryAfterSeconds: 1, linesPerFile: 250 } });
    for (let i = 0; i < 600; i++) {
      await ehr.repo.createResource(r4Patient(`p${i}`));
      await ehr.repo.createResource(r4Observation(`o${i}`, `p${i}`, 40 + (i % 100)));
    }
    dir = mkdtempSync(join(tmpdir(), 'careledger-bulk-import-'));
    node = openTestNode(dir, randomBytes(32));
  });
  afterAll(async () => {
    node.close();
    rmSync(dir, { recursive: true, force: true });
    await ehr.close();
  });

  it('resumes a stopped import from the saved line offsets and cleans up the export', async () => {
    const auth = smartBackendServicesAuth({ ...ehr.client, scope: 'system/Patient.rs system/Observation.rs', fhirBase: ehr.baseUrl });
    const options = { from: `${ehr.baseUrl}/$export`, auth, intake: node.store, jobs: new BulkImportJobStore(node.db), types: ['Patient', 'Observation'], chunkSize: 100 };
    const stop = new AbortController();
    const first: BulkProgress[] = [];
    const started = Date.now();
    await expect(
      runBulkImport({
        ...options,
        signal: stop.signal,
        onProgress: (progress) => {
          first.push(progress);
          if (progress.resourcesDone >= 700) stop.abort();
        },
      }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    // The status was polled once more after a 202 carrying Retry-After: 1.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(first.some((progress) => progress.serverProgress?.startsWith('preparing'))).toBe(true);
    const afterStop = journalCount(node.db);
    expect(afterStop).toBeGreaterThanOrEqual(700);
    expect(afterStop).toBeLessThan(1200);

    const second: BulkProgress[] = [];
    const result = await runBulkImport({ ...options, onProgress: (progress) => second.push(progress) });
    expect(result.resumed).toBe(true);
    expect(result.rejected).toEqual([]);
    // Only what the first run had not made durable was submitted again.
    expect(result.stored + result.unchanged).toBe(1200 - afterStop);
    expect(result.unchanged).toBe(0);
    expect(second.at(-1)).toMatchObject({ phase: 'done', filesTotal: 6, filesDone: 6, resourcesDone: 1200, resourcesTotal: 1200 });
    expect(journalCount(node.db)).toBe(1200);
    expect(currentDigests(node.db)).toEqual(await expectedDigests(ehr.repo, ['Patient', 'Observation']));
    expect(ehr.requests.filter((request) => request.startsWith('$export?'))).toHaveLength(1);
    expect(ehr.bulk.jobCount).toBe(0);
    expect(node.db.prepare('SELECT COUNT(*) AS n FROM bulk_import_jobs').get()).toEqual({ n: 0 });
  });

  it('exports a Patient compartment and Group members from the EHR', async () => {
    await ehr.repo.createResource({ resourceType: 'Group', id: 'cohort', type: 'person', actual: true, member: [{ entity: { reference: 'Patient/p1' } }, { entity: { reference: 'Patient/p2' } }] });
    await ehr.repo.updateResource(r4Observation('o1', 'p1', 180));
    const auth = smartBackendServicesAuth({ ...ehr.client, scope: 'system/*.rs', fhirBase: ehr.baseUrl });
    const group = await runBulkImport({ from: `${ehr.baseUrl}/Group/cohort/$export`, auth, intake: node.store, jobs: new BulkImportJobStore(node.db), types: ['Patient', 'Observation'] });
    expect(group.stored).toBe(1);
    expect(group.unchanged).toBe(3);
    const patients = await runBulkImport({ from: `${ehr.baseUrl}/Patient/$export`, auth, intake: node.store, jobs: new BulkImportJobStore(node.db), types: ['Observation'] });
    expect(patients.unchanged).toBe(600);
  });

  it('runs from CLI arguments with a private JWK file and refuses bad ones in one line', async () => {
    const keyFile = join(dir, 'client-key.json');
    writeFileSync(keyFile, JSON.stringify({ ...(await exportJWK(ehr.client.privateKey)), kid: ehr.client.kid, alg: 'ES384' }));
    const result = await bulkSyncCommand(
      ['--from', `${ehr.baseUrl}/$export`, '--type', 'Patient', '--client-id', ehr.client.clientId, '--key', keyFile, '--chunk', '50'],
      { intake: node.store, jobs: new BulkImportJobStore(node.db) },
    );
    expect(result.unchanged).toBe(600);
    expect(() => parseBulkSyncArgs(['--from', 'http://x/fhir/Patient'])).toThrow(/must be a \$export URL/);
    expect(() => parseBulkSyncArgs(['--from', 'http://x/fhir/$export', '--key', 'k.json'])).toThrow('--client-id and --key go together');
  });
});
