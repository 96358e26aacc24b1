import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { IntakePort } from '../../gateway/intake/port.js';
import type { Receipt } from '../../gateway/receipts/format.js';
import { kafkaMessage, RecordingBatchPayload, RecordingProducer } from '../../test/support/kafka-fakes.js';
import { r4Observation, r4Patient } from '../../test/support/r4-samples.js';
import { journalCount, openTestNode, type TestNode } from '../../test/support/test-store.js';
import { createEachBatchHandler, OUTCOME_HEADER } from './batch-processor.js';
import { publishReceipts } from './receipt-publisher.js';

describe('Kafka batch processing against kafkajs interfaces', () => {
  let dir: string;
  let node: TestNode;
  let log: string[];
  let producer: RecordingProducer;
  let intake: IntakePort;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'careledger-kafka-'));
    node = openTestNode(dir, randomBytes(32));
    log = [];
    producer = new RecordingProducer(log);
    // The real store, with the moment each submit resolves written to the same log.
    intake = {
      submit: async (items, options) => {
        const results = await node.store.submit(items, options);
        log.push(`durable x${items.length}`);
        return results;
      },
    };
  });
  afterEach(() => {
    node.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const handler = (chunkSize = 200) => createEachBatchHandler({ intake, producer, deadLetterTopic: 'ehr.dlq', chunkSize });

  it('stores resources and bundles, then resolves and commits their offsets', async () => {
    const messages = [
      kafkaMessage(10, r4Patient('k1')),
      kafkaMessage(11, { resourceType: 'Patient', id: 'k2', name: [{ family: 'R5' }] }, { 'fhir-version': '5.0.0' }),
      kafkaMessage(12, { resourceType: 'Bundle', type: 'batch', entry: [{ resource: r4Observation('ko1', 'k1'), request: { method: 'PUT', url: 'Observation/ko1' } }, { resource: r4Observation('ko2', 'k1') }] }),
      kafkaMessage(13, { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: r4Patient('k3') }, { resource: r4Observation('ko3', 'k3') }] }),
    ];
    await handler()(new RecordingBatchPayload('ehr.fhir', 0, messages, log));
    expect(log).toEqual(['durable x2', 'durable x4', 'resolve 10', 'resolve 11', 'resolve 12', 'resolve 13', 'commit', 'heartbeat']);
    expect(journalCount(node.db, 'kafka:ehr.fhir')).toBe(6);
    expect((await node.store.read('Observation', 'ko2')).resource).toMatchObject({ subject: { reference: 'Patient/k1' } });
  });

  it('dead-letters invalid messages with their OperationOutcome and headers before committing past them', async () => {
    const messages = [
      kafkaMessage(1, 'not json {', { 'x-trace': 'a1' }, 'key-1'),
      kafkaMessage(2, r4Patient('ok1')),
      kafkaMessage(3, { ...r4Patient('bad1'), gender: { nope: true } }, { 'x-trace': 'a3' }),
      kafkaMessage(4, r4Patient('v1'), { 'fhir-version': '3.0.2' }),
      kafkaMessage(5, { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: r4Patient('tx1') }, { resource: { ...r4Patient('tx2'), bogus: 1 } }] }),
      kafkaMessage(6, { resourceType: 'Bundle', type: 'batch', entry: [{ resource: r4Patient('b1') }, { resource: { resourceType: 'Patient', id: 'b2', bogus: 1 } }] }),
    ];
    await handler()(new RecordingBatchPayload('ehr.fhir', 3, messages, log));
    expect(log).toEqual(['durable x2', 'send ehr.dlq x5', 'resolve 1', 'resolve 2', 'resolve 3', 'resolve 4', 'resolve 5', 'resolve 6', 'commit', 'heartbeat']);
    const dead = producer.records[0]!.messages;
    expect(dead.map((message) => message.headers!['careledger-origin'])).toEqual(['ehr.fhir/3/1', 'ehr.fhir/3/3', 'ehr.fhir/3/4', 'ehr.fhir/3/5', 'ehr.fhir/3/6']);
    expect(dead[0]).toMatchObject({ key: Buffer.from('key-1'), value: Buffer.from('not json {'), headers: { 'x-trace': 'a1' } });
    const outcome = JSON.parse(String(dead[1]!.headers![OUTCOME_HEADER]));
    expect(outcome).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ severity: 'error' }] });
    expect(String(dead[4]!.headers![OUTCOME_HEADER])).toContain('Bundle.entry[1]');
    // The valid half of the batch Bundle is in; nothing of the transaction is.
    expect(journalCount(node.db)).toBe(2);
    await expect(node.store.read('Patient', 'tx1')).rejects.toMatchObject({ outcome: { id: 'not-found' } });
  });

  it('commits nothing when the node fails or the dead letter cannot be sent, and a redelivery stores nothing twice', async () => {
    const failing: IntakePort = { submit: async () => Promise.reject(new Error('SQLITE_IOERR: disk I/O error')) };
    const messages = [kafkaMessage(7, r4Patient('r1')), kafkaMessage(8, 'garbage')];
    await expect(createEachBatchHandler({ intake: failing, producer, deadLetterTopic: 'ehr.dlq' })(new RecordingBatchPayload('t', 0, messages, log))).rejects.toThrow('disk I/O');
    expect(log).toEqual([]);

    producer.failures = 1;
    await expect(handler()(new RecordingBatchPayload('t', 0, messages, log))).rejects.toThrow('broker unavailable');
    expect(log).toEqual(['durable x1', 'send failed ehr.dlq']);

    log.length = 0;
    await handler()(new RecordingBatchPayload('t', 0, messages, log));
    expect(log).toEqual(['durable x1', 'send ehr.dlq x1', 'resolve 7', 'resolve 8', 'commit', 'heartbeat']);
    expect(journalCount(node.db)).toBe(1);
  });

  it('stops between chunks when the consumer is stopping', async () => {
    const payload = new RecordingBatchPayload('t', 0, [kafkaMessage(1, r4Patient('s1')), kafkaMessage(2, r4Patient('s2'))], log);
    const stopping = createEachBatchHandler({
      intake: { submit: async (items, options) => { payload.running = false; return node.store.submit(items, options); } },
      producer,
      deadLetterTopic: 'ehr.dlq',
      chunkSize: 1,
    });
    await stopping(payload);
    expect(log).toEqual(['resolve 1', 'commit', 'heartbeat']);
  });

  it('publishes each anchored receipt keyed by resource reference', async () => {
    const listeners = new Set<(receipt: Receipt) => void>();
    const publisher = publishReceipts({
      producer,
      topic: 'careledger.receipts',
      onReceipt: (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      retryDelayMs: 5,
    });
    const receipt = (id: string, versionId: string) => ({ format: 'careledger-receipt/1', resource: { type: 'Patient', id, versionId } }) as Receipt;
    producer.failures = 1;
    for (const listener of listeners) {
      listener(receipt('a', '1'));
      listener(receipt('b', '1'));
      listener(receipt('a', '2'));
    }
    await publisher.flush();
    await publisher.stop();
    expect(listeners.size).toBe(0);
    const sent = producer.records.flatMap((record) => record.messages);
    expect(sent.map((message) => [message.key, JSON.parse(String(message.value)).resource.versionId])).toEqual([
      ['Patient/a', '1'],
      ['Patient/b', '1'],
      ['Patient/a', '2'],
    ]);
    expect(producer.records.every((record) => record.topic === 'careledger.receipts')).toBe(true);
  });
});
