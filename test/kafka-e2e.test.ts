// Kafka in a running node. Always: a broker that is down does not keep the node down (it serves
// HTTP, says "degraded" and why in /health, and closes promptly), and the receipts the node would
// publish are built from each anchored batch and verify against the chain. With KAFKA_BROKERS
// set: an R4 resource produced to the intake topic is stored and its receipt comes out on the
// receipts topic.

import { Kafka } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnchoredReceiptFeed } from '../gateway/anchoring/anchored-receipts.js';
import { ReceiptService } from '../gateway/anchoring/receipt-service.js';
import { SqliteReceiptRecordStore } from '../gateway/store/receipt-record-store.js';
import type { Receipt } from '../gateway/receipts/format.js';
import { verifyReceipt } from '../gateway/receipts/verify.js';
import { r4Patient } from './support/r4-samples.js';
import { eventually } from './support/eventually.js';
import { getJson, postBatch } from './support/fhir-client.js';
import { freePort } from '../gateway/server/free-port.js';
import { syntheticR4 } from './support/synthetic-fhir.js';
import { startTestNode, type TestNode } from './support/test-node.js';

describe('a node whose Kafka broker is unreachable', () => {
  let node: TestNode;
  beforeAll(async () => {
    node = await startTestNode({ KAFKA_BROKERS: `127.0.0.1:${await freePort()}`, KAFKA_RECEIPTS_TOPIC: 'careledger.receipts' });
  }, 60_000);
  afterAll(async () => node?.dispose());

  it('serves HTTP and reports Kafka as not connected', async () => {
    const health = (await (await fetch(`${node.baseUrl}/health`)).json()) as any;
    expect(health.status).toBe('degraded');
    expect(health.adapters.kafka).toMatchObject({ topic: 'careledger.fhir.in' });
    expect(['connecting', 'retrying']).toContain(health.adapters.kafka.state);
    expect((await getJson(node, 'Patient?_summary=count')).status).toBe(200);
  });

  it('builds one verifying receipt per version of each anchored batch, off the anchorer', async () => {
    const receipts: Receipt[] = [];
    const feed = new AnchoredReceiptFeed(new ReceiptService(new SqliteReceiptRecordStore(node.db), 1), (error) => {
      throw error;
    });
    feed.onReceipt((receipt) => receipts.push(receipt));
    node.anchorer.onAnchored((seq) => feed.batchAnchored(seq));
    const resources = syntheticR4(30, { prefix: 'kr', perPatient: 3 });
    expect((await postBatch(node, resources, `${node.fhirBase}/R4`)).ok).toBe(true);
    await eventually(() => expect(receipts).toHaveLength(30), 20_000);
    await feed.close();
    expect(new Set(receipts.map((r) => `${r.resource.type}/${r.resource.id}`))).toEqual(new Set(resources.map((r) => `${r.resourceType}/${r.id}`)));
    for (const receipt of receipts.slice(0, 5)) {
      const { body } = await getJson(node, `${receipt.resource.type}/${receipt.resource.id}`);
      expect((await verifyReceipt(body, receipt, node.chain.lookupAnchor)).valid).toBe(true);
    }
  });
});

const brokers = process.env.KAFKA_BROKERS;
if (!brokers) console.warn('kafka-e2e.test.ts: the real-cluster part is skipped; set KAFKA_BROKERS (e.g. localhost:9092) to run it');

describe.skipIf(!brokers)('a node consuming from and publishing receipts to a real cluster (KAFKA_BROKERS)', () => {
  it('stores a produced R4 resource and publishes its receipt', async () => {
    const run = randomUUID().slice(0, 8);
    const topic = `careledger-e2e-${run}`;
    const receiptsTopic = `${topic}.receipts`;
    const kafka = new Kafka({ clientId: `careledger-e2e-${run}`, brokers: brokers!.split(',') });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic }, { topic: `${topic}.dlq` }, { topic: receiptsTopic }], waitForLeaders: true });
    const node = await startTestNode({ KAFKA_BROKERS: brokers!, KAFKA_TOPIC: topic, KAFKA_RECEIPTS_TOPIC: receiptsTopic, KAFKA_GROUP_ID: `careledger-${run}` });
    const consumer = kafka.consumer({ groupId: `careledger-e2e-reader-${run}` });
    const producer = kafka.producer();
    try {
      await eventually(() => expect(node.adapters.health().kafka!.state).toBe('connected'), 30_000);
      await producer.connect();
      await producer.send({ topic, messages: [{ key: 'kp1', value: JSON.stringify(r4Patient('kp1', 'Kowalski')) }] });
      await eventually(async () => expect((await getJson(node, 'Patient/kp1')).status).toBe(200), 30_000);

      const published: Receipt[] = [];
      await consumer.connect();
      await consumer.subscribe({ topics: [receiptsTopic], fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void published.push(JSON.parse(String(message.value)) as Receipt) });
      await eventually(() => expect(published.map((r) => r.resource.id)).toContain('kp1'), 30_000);
      const receipt = published.find((r) => r.resource.id === 'kp1')!;
      const { body } = await getJson(node, 'Patient/kp1');
      expect((await verifyReceipt(body, receipt, node.chain.lookupAnchor)).valid).toBe(true);
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
      await node.dispose();
      await admin.deleteTopics({ topics: [topic, `${topic}.dlq`, receiptsTopic] }).catch(() => {});
      await admin.disconnect();
    }
  }, 60_000);
});
