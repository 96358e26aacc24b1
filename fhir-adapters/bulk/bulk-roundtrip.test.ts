import { OperationOutcomeError, unauthorized } from '@medplum/core';
import fastify, { type FastifyInstance } from 'fastify';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freePort } from '../../gateway/server/free-port.js';
import { currentDigests, journalCount, openTestNode, TEST_NODE_TYPES, type TestNode } from '../../test/support/test-store.js';
import { runBulkImport, type BulkProgress } from './bulk-import.js';
import { bulkExportRoutes } from './export-server.js';
import { storeExportSource } from './store-export-source.js';
import { BulkImportJobStore } from '../../gateway/store/bulk-import-job-store.js';
import { openExportStorage } from '../../gateway/store/export-job-store.js';
import { LiveResourceIndex } from '../../gateway/store/live-resource-index.js';

const TOKEN = 'node-a-test-token';

describe('Bulk Data round trip: node A exports over HTTP, node B imports', () => {
  let dir: string;
  let nodeA: TestNode;
  let nodeB: TestNode;
  let app: FastifyInstance;
  let base: string;
  const masterKeyA = randomBytes(32);

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'careledger-bulk-rt-'));
    nodeA = openTestNode(join(dir, 'a'), masterKeyA);
    nodeB = openTestNode(join(dir, 'b'), randomBytes(32));
    for (let i = 0; i < 120; i++) {
      await nodeA.store.update('Patient', `p${i}`, { resourceType: 'Patient', id: `p${i}`, name: [{ family: `F${i}` }], gender: i % 2 ? 'male' : 'female' });
    }
    const observations = Array.from({ length: 600 }, (_, i) => ({
      resource: {
        resourceType: 'Observation',
        id: `o${i}`,
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
        subject: { reference: `Patient/p${i % 120}` },
        valueQuantity: { value: i, unit: '/min' },
      },
    }));
    await nodeA.store.submit(observations, { source: 'seed' });
    await nodeA.store.update('Organization', 'org1', { resourceType: 'Organization', id: 'org1', name: 'General' });
    await nodeA.store.update('Group', 'g1', {
      resourceType: 'Group',
      id: 'g1',
      type: 'person',
      membership: 'enumerated',
      member: [{ entity: { reference: 'Patient/p1' } }, { entity: { reference: 'Patient/p2' } }],
    });
    await nodeA.store.update('Patient', 'p5', { resourceType: 'Patient', id: 'p5', name: [{ family: 'Changed' }] });
    await nodeA.store.delete('Observation', 'o7');
    await nodeA.store.delete('Patient', 'p119');

    const port = await freePort();
    base = `http://127.0.0.1:${port}/fhir`;
    app = fastify();
    await app.register(bulkExportRoutes, {
      prefix: '/fhir',
      service: nodeA.store,
      listAll: storeExportSource(new LiveResourceIndex(nodeA.db), nodeA.store),
      resourceTypes: TEST_NODE_TYPES,
      ...openExportStorage(nodeA.db, masterKeyA),
      dataDir: join(dir, 'a-data'),
      baseUrl: base,
      retryAfterSeconds: 0,
      authorize: (request) => {
        if (request.headers.authorization !== `Bearer ${TOKEN}`) throw new OperationOutcomeError(unauthorized);
      },
      identify: (request) => {
        if (request.headers.authorization !== `Bearer ${TOKEN}`) throw new OperationOutcomeError(unauthorized);
        return 'node-b';
      },
    });
    await app.listen({ port, host: '127.0.0.1' });
  });
  afterEach(async () => {
    await app.close();
    nodeA.close();
    nodeB.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const auth = { token: async () => TOKEN, invalidate: () => {} };

  it('exports every live resource as R5 and imports them with identical digests', async () => {
    const progress: BulkProgress[] = [];
    const result = await runBulkImport({
      from: `${base}/$export`,
      auth,
      intake: nodeB.store,
      jobs: new BulkImportJobStore(nodeB.db),
      fhirVersion: 'R5',
      chunkSize: 100,
      onProgress: (p) => progress.push(p),
    });
    expect(result.rejected).toEqual([]);
    const expected = currentDigests(nodeA.db);
    expect(expected.size).toBe(120 - 1 + 600 - 1 + 2);
    expect(currentDigests(nodeB.db)).toEqual(expected);
    expect(result.stored).toBe(expected.size);
    expect(journalCount(nodeB.db)).toBe(expected.size);
    expect(progress.at(-1)).toMatchObject({ phase: 'done', filesDone: 4, resourcesDone: expected.size, resourcesTotal: expected.size });
    // The import deleted the job at node A, which removed its files.
    expect(readdirSync(join(dir, 'a-data', 'bulk-export'))).toEqual([]);
  });

  it('filters by _type and _since, and exports a Group and the Patient compartment', async () => {
    const cut = new Date().toISOString();
    await new Promise((done) => setTimeout(done, 5));
    await nodeA.store.update('Patient', 'p3', { resourceType: 'Patient', id: 'p3', name: [{ family: 'Later' }] });
    const sinceResult = await runBulkImport({ from: `${base}/$export`, auth, intake: nodeB.store, jobs: new BulkImportJobStore(nodeB.db), fhirVersion: 'R5', types: ['Patient'], since: cut });
    expect(sinceResult.stored).toBe(1);

    const group = await runBulkImport({ from: `${base}/Group/g1/$export`, auth, intake: nodeB.store, jobs: new BulkImportJobStore(nodeB.db), fhirVersion: 'R5', types: ['Patient', 'Observation'] });
    expect(group.stored).toBe(2 + 10);

    const compartment = await runBulkImport({ from: `${base}/Patient/$export`, auth, intake: nodeB.store, jobs: new BulkImportJobStore(nodeB.db), fhirVersion: 'R5' });
    // Everything but the Organization and the Group, less what the group export already brought.
    expect(compartment.stored + compartment.unchanged).toBe(119 + 599);
  });

  it('refuses without a token and without Prefer: respond-async', async () => {
    expect((await fetch(`${base}/$export`, { headers: { prefer: 'respond-async' } })).status).toBe(401);
    const noPrefer = await fetch(`${base}/$export`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(noPrefer.status).toBe(400);
    expect(((await noPrefer.json()) as { resourceType: string }).resourceType).toBe('OperationOutcome');
  });
});
