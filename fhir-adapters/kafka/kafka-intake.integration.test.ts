import { Kafka } from 'kafkajs';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { r4Patient } from '../../test/support/r4-samples.js';
import { journalCount, openTestNode } from '../../test/support/test-store.js';
import { OUTCOME_HEADER } from './batch-processor.js';
import { startKafkaIntake } from './kafka-intake.js';

const brokers = process.env.KAFKA_BROKERS;
if (!brokers) console.warn('kafka-intake.integration.test.ts skipped: set KAFKA_BROKERS (e.g. localhost:9092) to run it against a real cluster');

describe.skipIf(!brokers)('Kafka intake against a real cluster (KAFKA_BROKERS)', () => {
  it('consumes, stores, dead-letters and commits only what is durable', async () => {
    const run = randomUUID().slice(0, 8);
    const topic = `careledger-test-${run}`;
    const deadLetterTopic = `${topic}.dlq`;
    const client = { clientId: `careledger-test-${run}`, brokers: brokers!.split(',') };
    const kafka = new Kafka(client);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }, { topic: deadLetterTopic }], waitForLeaders: true });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: [
        ...Array.from({ length: 50 }, (_, i) => ({ key: `p${i}`, value: JSON.stringify(r4Patient(`p${i}`)) })),
        { key: 'bad', value: 'not json', headers: { 'x-trace': 't1' } },
      ],
    });

    const dir = mkdtempSync(join(tmpdir(), 'careledger-kafka-it-'));
    const node = openTestNode(dir, randomBytes(32));
    const dead: string[] = [];
    const running = await startKafkaIntake(
      { client, groupId: `careledger-${run}`, topic, deadLetterTopic, fromBeginning: true },
      { intake: node.store, onDeadLetter: (info) => dead.push(info.offset) },
    );
    try {
      const deadline = Date.now() + 30_000;
      while ((journalCount(node.db) < 50 || dead.length < 1) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(journalCount(node.db)).toBe(50);
      expect(dead).toHaveLength(1);
    } finally {
      await running.stop();
    }
    const offsets = await admin.fetchOffsets({ groupId: `careledger-${run}`, topics: [topic] });
    const committed = offsets[0]!.partitions.reduce((sum, partition) => sum + Number(partition.offset), 0);
    expect(committed).toBe(51);

    const consumer = kafka.consumer({ groupId: `careledger-dlq-${run}` });
    await consumer.connect();
    await consumer.subscribe({ topics: [deadLetterTopic], fromBeginning: true });
    const letters: Array<Record<string, string>> = [];
    await consumer.run({
      eachMessage: async ({ message }) => {
        letters.push(Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])));
      },
    });
    const deadline = Date.now() + 15_000;
    while (letters.length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await consumer.disconnect();
    expect(letters[0]).toMatchObject({ 'x-trace': 't1' });
    expect(JSON.parse(letters[0]![OUTCOME_HEADER]!)).toMatchObject({ resourceType: 'OperationOutcome' });

    await producer.disconnect();
    await admin.deleteTopics({ topics: [topic, deadLetterTopic] });
    await admin.disconnect();
    node.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
