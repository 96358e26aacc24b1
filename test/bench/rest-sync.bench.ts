// Throughput of REST sync end to end: an R4 EHR (the Medplum test server over HTTP with SMART
// auth) to a real node store (validation, hashing, encryption, journal with fsync), in resources
// per second. `npm run bench` calls benchRestSync.

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMedplumEhr } from '../support/ehr/medplum-ehr.js';
import { r4Observation, r4Patient } from '../support/r4-samples.js';
import { openTestNode } from '../support/test-store.js';
import { RestSync } from '../../fhir-adapters/rest-sync/rest-sync.js';
import { smartBackendServicesAuth } from '../../fhir-adapters/rest-sync/smart-backend-auth.js';
import { SyncCursorStore } from '../../gateway/store/sync-cursor-store.js';

export interface RestSyncBenchResult {
  resources: number;
  pageSize: number;
  seconds: number;
  resourcesPerSecond: number;
}

export async function benchRestSync(options: { resources?: number; pageSize?: number } = {}): Promise<RestSyncBenchResult> {
  const total = options.resources ?? 2000;
  const pageSize = options.pageSize ?? 200;
  const ehr = await startMedplumEhr();
  const dir = mkdtempSync(join(tmpdir(), 'careledger-bench-rest-'));
  const node = openTestNode(dir, randomBytes(32));
  try {
    for (let i = 0; i < total / 2; i++) {
      await ehr.repo.createResource(r4Patient(`p${i}`));
      await ehr.repo.createResource(r4Observation(`o${i}`, `p${i}`, 40 + (i % 100)));
    }
    const sync = new RestSync({
      ehr: 'bench',
      server: { baseUrl: ehr.baseUrl, auth: smartBackendServicesAuth({ ...ehr.client, scope: 'system/*.rs', fhirBase: ehr.baseUrl }) },
      fhirVersion: 'R4',
      types: ['Patient', 'Observation'],
      intake: node.store,
      deleter: (type, id) => node.store.delete(type, id),
      cursors: new SyncCursorStore(node.db),
      pageSize,
    });
    const started = performance.now();
    const reports = await sync.syncOnce();
    const seconds = (performance.now() - started) / 1000;
    const resources = reports.reduce((sum, report) => sum + report.stored, 0);
    return { resources, pageSize, seconds, resourcesPerSecond: resources / seconds };
  } finally {
    node.close();
    rmSync(dir, { recursive: true, force: true });
    await ehr.close();
  }
}
