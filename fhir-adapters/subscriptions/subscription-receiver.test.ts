import fastify, { type FastifyInstance } from 'fastify';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smartBackendServicesAuth } from '../rest-sync/smart-backend-auth.js';
import { startMedplumEhr, type MedplumEhr } from '../../test/support/ehr/medplum-ehr.js';
import { r4Observation, r4Patient } from '../../test/support/r4-samples.js';
import { journalCount, openTestNode, type TestNode } from '../../test/support/test-store.js';
import { subscriptionReceiver, type MissedEvents } from './subscription-receiver.js';
import { SubscriptionStateStore } from '../../gateway/store/subscription-state-store.js';
import { eventually } from '../../test/support/eventually.js';

const TOPIC = 'http://example.org/fhir/SubscriptionTopic/patient-and-vitals';

function r5Notification(
  type: string,
  events: Array<{ number: number; focus: string }>,
  resources: object[] = [],
  eventsSince = events.at(-1)?.number ?? 0,
): object {
  return {
    resourceType: 'Bundle',
    type: 'subscription-notification',
    timestamp: new Date().toISOString(),
    entry: [
      {
        fullUrl: 'urn:uuid:5c4b5e4a-1d0c-4f4e-9a3e-2f7b6f3c9d10',
        resource: {
          resourceType: 'SubscriptionStatus',
          status: 'active',
          type,
          eventsSinceSubscriptionStart: String(eventsSince),
          notificationEvent: events.map((event) => ({
            eventNumber: String(event.number),
            timestamp: new Date().toISOString(),
            focus: { reference: `https://ehr.example.org/fhir/${event.focus}` },
          })),
          subscription: { reference: 'https://ehr.example.org/fhir/Subscription/sub-r5' },
          topic: TOPIC,
        },
      },
      ...resources.map((resource) => ({
        fullUrl: `https://ehr.example.org/fhir/${(resource as { resourceType: string }).resourceType}/${(resource as { id: string }).id}`,
        resource,
      })),
    ],
  };
}

function backportNotification(type: string, events: Array<{ number: number; focus: string }>, resources: object[] = [], eventsSince = events.at(-1)?.number ?? 0): object {
  return {
    resourceType: 'Bundle',
    type: 'history',
    timestamp: new Date().toISOString(),
    entry: [
      {
        fullUrl: 'urn:uuid:9e2a61b3-6a9d-4a8f-8f07-2d1f0c6b7e21',
        resource: {
          resourceType: 'Parameters',
          meta: { profile: ['http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-subscription-status-r4'] },
          parameter: [
            { name: 'subscription', valueReference: { reference: 'https://ehr.example.org/fhir/Subscription/sub-r4' } },
            { name: 'topic', valueCanonical: TOPIC },
            { name: 'status', valueCode: 'active' },
            { name: 'type', valueCode: type },
            { name: 'events-since-subscription-start', valueString: String(eventsSince) },
            ...events.map((event) => ({
              name: 'notification-event',
              part: [
                { name: 'event-number', valueString: String(event.number) },
                { name: 'timestamp', valueInstant: new Date().toISOString() },
                { name: 'focus', valueReference: { reference: event.focus } },
              ],
            })),
          ],
        },
        request: { method: 'GET', url: 'https://ehr.example.org/fhir/Subscription/sub-r4/$status' },
        response: { status: '200' },
      },
      ...resources.map((resource) => ({
        fullUrl: `https://ehr.example.org/fhir/${(resource as { resourceType: string }).resourceType}/${(resource as { id: string }).id}`,
        resource,
        request: { method: 'PUT', url: `${(resource as { resourceType: string }).resourceType}/${(resource as { id: string }).id}` },
        response: { status: '200' },
      })),
    ],
  };
}

describe('Subscriptions rest-hook receiver over HTTP', () => {
  let ehr: MedplumEhr;
  let dir: string;
  let node: TestNode;
  let app: FastifyInstance;
  let hook: string;
  const missed: MissedEvents[] = [];

  beforeAll(async () => {
    ehr = await startMedplumEhr();
    dir = mkdtempSync(join(tmpdir(), 'careledger-subs-'));
    node = openTestNode(dir, randomBytes(32));
    const server = { baseUrl: ehr.baseUrl, auth: smartBackendServicesAuth({ ...ehr.client, scope: 'system/*.rs', fhirBase: ehr.baseUrl }) };
    app = fastify();
    await app.register(subscriptionReceiver, {
      prefix: '/subscriptions',
      intake: node.store,
      deleter: (type, id) => node.store.delete(type, id),
      states: new SubscriptionStateStore(node.db),
      onMissedEvents: (info) => void missed.push(info),
      endpoints: [
        { id: 'r5', secret: { header: 'X-Careledger-Secret', value: 'r5-secret' }, fhirVersion: 'R5', types: ['Patient'], server, subscription: 'Subscription/sub-r5' },
        { id: 'r4', secret: { header: 'Authorization', value: 'Bearer r4-secret' }, fhirVersion: 'R4', types: ['Patient', 'Observation'], server },
      ],
    });
    hook = `${await app.listen({ port: 0, host: '127.0.0.1' })}/subscriptions`;
  });
  afterAll(async () => {
    await app.close();
    node.close();
    rmSync(dir, { recursive: true, force: true });
    await ehr.close();
  });

  const post = (endpoint: string, headers: Record<string, string>, body: object) =>
    fetch(`${hook}/${endpoint}`, { method: 'POST', headers: { 'content-type': 'application/fhir+json', ...headers }, body: JSON.stringify(body) });
  const r5 = (body: object) => post('r5', { 'x-careledger-secret': 'r5-secret' }, body);
  const r4 = (body: object) => post('r4', { authorization: 'Bearer r4-secret' }, body);

  it('answers handshake and heartbeat, and refuses a wrong secret or a foreign subscription', async () => {
    expect((await r5(r5Notification('handshake', [], [], 0))).status).toBe(200);
    expect((await r5(r5Notification('heartbeat', [], [], 0))).status).toBe(200);
    expect((await post('r5', { 'x-careledger-secret': 'nope-secret' }, r5Notification('heartbeat', []))).status).toBe(401);
    const foreign = r5Notification('heartbeat', []) as { entry: Array<{ resource: { subscription: { reference: string } } }> };
    foreign.entry[0]!.resource.subscription.reference = 'Subscription/other';
    expect((await r5(foreign)).status).toBe(400);
    expect((await r5({ resourceType: 'Bundle', type: 'batch' })).status).toBe(400);
    expect(node.db.prepare("SELECT last_event, status, last_type FROM subscription_state WHERE endpoint = 'r5'").get()).toEqual({
      last_event: 0,
      status: 'active',
      last_type: 'heartbeat',
    });
  });

  it('ingests R5 full-resource and id-only notifications (the latter fetched from the EHR)', async () => {
    const full = { resourceType: 'Patient', id: 'sub-p1', name: [{ family: 'Okafor' }], gender: 'male' };
    expect((await r5(r5Notification('event-notification', [{ number: 1, focus: 'Patient/sub-p1' }], [full]))).status).toBe(200);
    expect((await node.store.read('Patient', 'sub-p1')).resource).toMatchObject({ name: [{ family: 'Okafor' }] });

    await ehr.repo.createResource(r4Patient('sub-p2', 'Haddad'));
    expect((await r5(r5Notification('event-notification', [{ number: 2, focus: 'Patient/sub-p2' }]))).status).toBe(200);
    expect((await node.store.read('Patient', 'sub-p2')).resource).toMatchObject({ name: [{ family: 'Haddad' }] });
    expect(missed).toEqual([]);
  });

  it('ingests R4 backport notifications, full and id-only, converting to R5; a vanished focus becomes a delete', async () => {
    expect((await r4(backportNotification('handshake', [], [], 0))).status).toBe(200);
    const observationFull = r4Observation('sub-o1', 'sub-p2', 99);
    expect((await r4(backportNotification('event-notification', [{ number: 1, focus: 'Observation/sub-o1' }], [observationFull]))).status).toBe(200);
    expect((await node.store.read('Observation', 'sub-o1')).resource).toMatchObject({ valueQuantity: { value: 99 } });

    await ehr.repo.createResource(r4Observation('sub-o2', 'sub-p2', 101));
    const idOnly = await r4(backportNotification('event-notification', [{ number: 2, focus: 'Observation/sub-o2' }]));
    expect(idOnly.status).toBe(200);
    expect((await node.store.read('Observation', 'sub-o2')).resource).toMatchObject({ valueQuantity: { value: 101 } });

    await ehr.repo.deleteResource('Observation', 'sub-o2');
    expect((await r4(backportNotification('event-notification', [{ number: 3, focus: 'Observation/sub-o2' }]))).status).toBe(200);
    await expect(node.store.read('Observation', 'sub-o2')).rejects.toMatchObject({ outcome: { id: 'gone' } });
    expect(ehr.requests).toContain('Observation/sub-o2');
  });

  it('detects missed events from event numbers and heartbeats and asks for a catch-up; repeats are harmless', async () => {
    const before = journalCount(node.db);
    const again = { resourceType: 'Patient', id: 'sub-p1', name: [{ family: 'Okafor' }], gender: 'male' };
    expect((await r5(r5Notification('event-notification', [{ number: 2, focus: 'Patient/sub-p1' }], [again]))).status).toBe(200);
    expect(journalCount(node.db)).toBe(before);
    expect(missed).toEqual([]);

    const later = { resourceType: 'Patient', id: 'sub-p3', name: [{ family: 'Silva' }] };
    expect((await r5(r5Notification('event-notification', [{ number: 5, focus: 'Patient/sub-p3' }], [later]))).status).toBe(200);
    await eventually(() => expect(missed).toHaveLength(1), 2000, 10);
    expect(missed[0]).toEqual({ endpoint: 'r5', types: ['Patient'], expected: 5, received: 2 });

    expect((await r4(backportNotification('heartbeat', [], [], 7))).status).toBe(200);
    await eventually(() => expect(missed).toHaveLength(2), 2000, 10);
    expect(missed[1]).toEqual({ endpoint: 'r4', types: ['Patient', 'Observation'], expected: 7, received: 3 });
  });
});
