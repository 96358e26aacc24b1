// REST sync in a running node: configured only through the environment (EHR_FHIR_BASE, SMART
// Backend Services with a private JWK file), it polls the Medplum-backed test EHR and the
// node's FHIR API serves what the EHR creates, updates and deletes. `careledger sync rest --once`
// does one round into the stopped node from the same settings and cursors.

import { exportJWK } from 'jose';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FhirHttpClient } from '../fhir-adapters/rest-sync/fhir-http-client.js';
import { smartBackendServicesAuth } from '../fhir-adapters/rest-sync/smart-backend-auth.js';
import { startMedplumEhr, type MedplumEhr } from './support/ehr/medplum-ehr.js';
import { r4Observation, r4Patient } from './support/r4-samples.js';
import { runCli } from './support/cli.js';
import { eventually } from './support/eventually.js';
import { getJson } from './support/fhir-client.js';
import { startTestNode, type TestNode } from './support/test-node.js';

let ehr: MedplumEhr;
let ehrClient: FhirHttpClient;
let node: TestNode | undefined;
let scratch: string;
let env: Record<string, string>;

beforeAll(async () => {
  ehr = await startMedplumEhr();
  scratch = mkdtempSync(join(tmpdir(), 'careledger-rest-e2e-'));
  const keyFile = join(scratch, 'ehr-client-key.json');
  writeFileSync(keyFile, JSON.stringify({ ...(await exportJWK(ehr.client.privateKey)), kid: ehr.client.kid, alg: 'ES384' }), { mode: 0o600 });
  env = {
    EHR_FHIR_BASE: ehr.baseUrl,
    EHR_FHIR_VERSION: 'R4',
    EHR_SYNC_TYPES: 'Patient,Observation',
    EHR_SYNC_INTERVAL_MS: '250',
    EHR_CLIENT_ID: ehr.client.clientId,
    EHR_PRIVATE_KEY_FILE: keyFile,
    EHR_KEY_ALG: 'ES384',
    EHR_SCOPE: 'system/Patient.rs system/Observation.rs',
  };
  ehrClient = new FhirHttpClient({ baseUrl: ehr.baseUrl, auth: smartBackendServicesAuth({ ...ehr.client, scope: 'system/*.cruds', fhirBase: ehr.baseUrl }) });
  for (let i = 0; i < 5; i++) await put(r4Patient(`rp${i}`));
  for (let i = 0; i < 10; i++) await put(r4Observation(`ro${i}`, `rp${i % 5}`, 60 + i));
  node = await startTestNode(env);
}, 60_000);

afterAll(async () => {
  await node?.dispose();
  await ehr?.close();
  rmSync(scratch, { recursive: true, force: true });
});

function put(resource: { resourceType: string; id?: string }): Promise<unknown> {
  return ehrClient.json(`${resource.resourceType}/${resource.id}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/fhir+json' },
    body: JSON.stringify(resource),
  });
}

async function expectStatus(reference: string, status: number): Promise<any> {
  const response = await getJson(node!, reference);
  expect(response.status, reference).toBe(status);
  return response.body;
}

describe('REST sync from the EHR into a running node', () => {
  it('brings over what the EHR held at start, and reports the round in /health', async () => {
    await eventually(async () => {
      expect((await getJson(node!, 'Patient?_summary=count')).body.total).toBe(5);
      expect((await getJson(node!, 'Observation?_summary=count')).body.total).toBe(10);
    });
    const health = (await (await fetch(`${node!.baseUrl}/health`)).json()) as any;
    expect(health.status).toBe('ok');
    expect(health.adapters.restSync).toMatchObject({ fhirBase: ehr.baseUrl, state: 'ok' });
    expect(Date.parse(health.adapters.restSync.lastRun)).toBeGreaterThan(Date.now() - 60_000);
    expect(health.adapters.restSync.lagMs).toBeGreaterThanOrEqual(0);
    const journal = node!.db.prepare("SELECT COUNT(*) AS n FROM journal WHERE source = 'rest-sync:ehr'").get() as { n: number };
    expect(journal.n).toBe(15);
  });

  it('picks up creates, updates and deletes made at the EHR while it runs', async () => {
    await put(r4Patient('rp5', 'Okafor'));
    await put(r4Patient('rp1', 'Tran'));
    await put(r4Observation('ro3', 'rp3', 150));
    await ehrClient.request('Observation/ro4', { method: 'DELETE' });
    await ehrClient.request('Patient/rp4', { method: 'DELETE' });

    await eventually(async () => {
      expect((await expectStatus('Patient/rp5', 200)).name[0].family).toBe('Okafor');
      const updated = await expectStatus('Patient/rp1', 200);
      expect([updated.name[0].family, updated.meta.versionId]).toEqual(['Tran', '2']);
      expect((await expectStatus('Observation/ro3', 200)).valueQuantity.value).toBe(150);
      await expectStatus('Observation/ro4', 410);
      await expectStatus('Patient/rp4', 410);
    });
  });

  it('careledger sync rest --once runs one round into the stopped node, from its cursors', async () => {
    await node!.close();
    await put(r4Patient('rp6', 'Silva'));
    const run = await runCli(['sync', 'rest', '--once'], { ...env, DATA_DIR: node!.dataDir });
    expect(run.stderr).not.toMatch(/careledger: /);
    expect(run.code).toBe(0);
    // Only what changed since the running node's last round.
    expect(run.stdout).toContain('Patient: 1 stored, 0 unchanged, 0 deleted, 0 rejected');
    expect(run.stdout).toContain('Observation: 0 stored');
    node = await startTestNode({ ...env, EHR_SYNC_INTERVAL_MS: '3600000', DATA_DIR: node!.dataDir });
    expect((await expectStatus('Patient/rp6', 200)).name[0].family).toBe('Silva');
  }, 40_000);
});
