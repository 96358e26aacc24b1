// Subscriptions through a running node's own HTTP endpoint: configured by SUBSCRIPTIONS_FILE, the
// EHR posts R4 Backport notifications to <node>/fhir/subscriptions/<id> with its shared secret;
// a full-resource event is stored before the 200, an id-only one is fetched from the EHR with
// the node's SMART credentials, and a wrong secret stores nothing.

import { exportJWK } from 'jose';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMedplumEhr, type MedplumEhr } from './support/ehr/medplum-ehr.js';
import { r4Observation, r4Patient } from './support/r4-samples.js';
import { getJson } from './support/fhir-client.js';
import { startTestNode, type TestNode } from './support/test-node.js';

const SECRET = { header: 'X-Careledger-Secret', value: 'a-long-shared-secret-for-the-ehr' };

let ehr: MedplumEhr;
let node: TestNode;
let scratch: string;

beforeAll(async () => {
  ehr = await startMedplumEhr();
  scratch = mkdtempSync(join(tmpdir(), 'careledger-subs-e2e-'));
  const keyFile = join(scratch, 'ehr-client-key.json');
  writeFileSync(keyFile, JSON.stringify({ ...(await exportJWK(ehr.client.privateKey)), kid: ehr.client.kid, alg: 'ES384' }), { mode: 0o600 });
  const subscriptionsFile = join(scratch, 'subscriptions.json');
  writeFileSync(subscriptionsFile, JSON.stringify([{ id: 'ehr-vitals', secret: SECRET, fhirVersion: 'R4', types: ['Patient', 'Observation'], fhirBase: ehr.baseUrl }]));
  await ehr.repo.createResource(r4Patient('sp1', 'Haddad'));
  node = await startTestNode({ SUBSCRIPTIONS_FILE: subscriptionsFile, EHR_CLIENT_ID: ehr.client.clientId, EHR_PRIVATE_KEY_FILE: keyFile });
}, 60_000);

afterAll(async () => {
  await node?.dispose();
  await ehr?.close();
  rmSync(scratch, { recursive: true, force: true });
});

function notification(events: Array<{ number: number; focus: string }>, resources: object[] = []): object {
  return {
    resourceType: 'Bundle',
    type: 'history',
    timestamp: new Date().toISOString(),
    entry: [
      {
        fullUrl: 'urn:uuid:0b7c3c1e-9f0e-4c8e-8d4b-1f6a2c3d4e5f',
        resource: {
          resourceType: 'Parameters',
          parameter: [
            { name: 'subscription', valueReference: { reference: `${ehr.baseUrl}/Subscription/vitals` } },
            { name: 'status', valueCode: 'active' },
            { name: 'type', valueCode: 'event-notification' },
            { name: 'events-since-subscription-start', valueString: String(events.at(-1)!.number) },
            ...events.map((event) => ({
              name: 'notification-event',
              part: [
                { name: 'event-number', valueString: String(event.number) },
                { name: 'focus', valueReference: { reference: event.focus } },
              ],
            })),
          ],
        },
        request: { method: 'GET', url: `${ehr.baseUrl}/Subscription/vitals/$status` },
        response: { status: '200' },
      },
      ...resources.map((resource: any) => ({
        fullUrl: `${ehr.baseUrl}/${resource.resourceType}/${resource.id}`,
        resource,
        request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` },
        response: { status: '200' },
      })),
    ],
  };
}

const post = (body: object, headers: Record<string, string> = { [SECRET.header]: SECRET.value }) =>
  fetch(`${node.fhirBase}/subscriptions/ehr-vitals`, { method: 'POST', headers: { 'content-type': 'application/fhir+json', ...headers }, body: JSON.stringify(body) });

describe('Subscriptions rest-hook on a running node', () => {
  it('stores a full-resource event before answering 200, and an id-only one fetched from the EHR', async () => {
    const full = await post(notification([{ number: 1, focus: 'Observation/so1' }], [r4Observation('so1', 'sp1', 88)]));
    expect(full.status).toBe(200);
    expect((await getJson(node, 'Observation/so1')).body.valueQuantity.value).toBe(88);

    const idOnly = await post(notification([{ number: 2, focus: 'Patient/sp1' }]));
    expect(idOnly.status).toBe(200);
    expect((await getJson(node, 'Patient/sp1')).body.name[0].family).toBe('Haddad');
    const sources = node.db.prepare("SELECT COUNT(*) AS n FROM journal WHERE source = 'subscription:ehr-vitals'").get() as { n: number };
    expect(sources.n).toBe(2);
  });

  it('refuses a notification without the shared secret, storing nothing', async () => {
    const before = node.db.prepare('SELECT COUNT(*) AS n FROM journal').get();
    const refused = await post(notification([{ number: 3, focus: 'Observation/so2' }], [r4Observation('so2', 'sp1')]), { [SECRET.header]: 'wrong-secret' });
    expect(refused.status).toBe(401);
    expect(node.db.prepare('SELECT COUNT(*) AS n FROM journal').get()).toEqual(before);
    expect((await getJson(node, 'Observation/so2')).status).toBe(404);
  });

  it('lists the endpoint in /health', async () => {
    const health = (await (await fetch(`${node.baseUrl}/health`)).json()) as any;
    expect(health.adapters.subscriptions).toEqual({ endpoints: ['ehr-vitals'] });
    expect(health.adapters.bulkExport).toEqual({ kickOff: '/fhir/$export' });
  });
});
