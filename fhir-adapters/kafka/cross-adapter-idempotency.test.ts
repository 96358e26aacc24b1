import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBulkImport } from '../bulk/bulk-import.js';
import { RestSync } from '../rest-sync/rest-sync.js';
import { smartBackendServicesAuth } from '../rest-sync/smart-backend-auth.js';
import { kafkaMessage, RecordingBatchPayload, RecordingProducer } from '../../test/support/kafka-fakes.js';
import { startMedplumEhr, type MedplumEhr } from '../../test/support/ehr/medplum-ehr.js';
import { r4Observation, r4Patient } from '../../test/support/r4-samples.js';
import { journalCount, openTestNode, type TestNode } from '../../test/support/test-store.js';
import { createEachBatchHandler } from './batch-processor.js';
import { BulkImportJobStore } from '../../gateway/store/bulk-import-job-store.js';
import { SyncCursorStore } from '../../gateway/store/sync-cursor-store.js';

describe('the same resource version arriving through several adapters is stored and journaled once', () => {
  let ehr: MedplumEhr;
  let dir: string;
  let node: TestNode;

  beforeAll(async () => {
    ehr = await startMedplumEhr({ export: { pollsBeforeReady: 0 } });
    dir = mkdtempSync(join(tmpdir(), 'careledger-idem-'));
    node = openTestNode(dir, randomBytes(32));
  });
  afterAll(async () => {
    node.close();
    rmSync(dir, { recursive: true, force: true });
    await ehr.close();
  });

  it('Kafka, then REST sync, then Bulk Data: one journal row per version', async () => {
    const patient = r4Patient('idem-1');
    const observation = r4Observation('idem-o1', 'idem-1', 88);
    await ehr.repo.createResource(patient);
    await ehr.repo.createResource(observation);

    const log: string[] = [];
    await createEachBatchHandler({ intake: node.store, producer: new RecordingProducer(log), deadLetterTopic: 'dlq' })(
      new RecordingBatchPayload('ehr.fhir', 0, [kafkaMessage(0, patient), kafkaMessage(1, observation)], log),
    );
    expect(journalCount(node.db)).toBe(2);

    const auth = smartBackendServicesAuth({ ...ehr.client, scope: 'system/*.rs', fhirBase: ehr.baseUrl });
    const sync = new RestSync({
      ehr: 'idem',
      server: { baseUrl: ehr.baseUrl, auth },
      fhirVersion: 'R4',
      types: ['Patient', 'Observation'],
      intake: node.store,
      deleter: (type, id) => node.store.delete(type, id),
      cursors: new SyncCursorStore(node.db),
    });
    const reports = await sync.syncOnce();
    expect(reports.map((report) => [report.stored, report.unchanged])).toEqual([[0, 1], [0, 1]]);

    const bulk = await runBulkImport({ from: `${ehr.baseUrl}/$export`, auth, intake: node.store, jobs: new BulkImportJobStore(node.db) });
    expect([bulk.stored, bulk.unchanged]).toEqual([0, 2]);

    expect(journalCount(node.db)).toBe(2);
    expect(node.db.prepare('SELECT source FROM journal ORDER BY seq').all()).toEqual([{ source: 'kafka:ehr.fhir' }, { source: 'kafka:ehr.fhir' }]);
    expect((await node.store.history('Patient', 'idem-1')).map((version) => version.versionId)).toEqual(['1']);
  });
});
