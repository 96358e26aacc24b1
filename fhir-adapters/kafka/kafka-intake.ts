// The Kafka adapter wired to kafkajs: a consumer group on the intake topic running the batch
// processor with manual offset resolution (eachBatchAutoResolve off, so kafkajs commits only
// offsets the processor resolved after IntakePort made them durable), a producer for dead
// letters, and optionally the receipt publisher on the same producer.

import { Kafka, type KafkaConfig } from 'kafkajs';
import type { IntakePort } from '../../gateway/intake/port.js';
import type { Receipt } from '../../gateway/receipts/format.js';
import type { FhirVersion } from '../rest-sync/r5-intake.js';
import { createEachBatchHandler, type KafkaIntakeSettings } from './batch-processor.js';
import { publishReceipts, type ReceiptPublisher } from './receipt-publisher.js';

export interface KafkaIntakeConfig {
  /** kafkajs client settings: brokers, clientId, ssl, sasl... */
  client: KafkaConfig;
  groupId: string;
  topic: string;
  deadLetterTopic: string;
  /** Receipts go here when set (with onReceipt). */
  receiptsTopic?: string;
  versionHeader?: string;
  defaultVersion?: FhirVersion;
  /** Read the topic from the start when the group has no committed offset. Default false. */
  fromBeginning?: boolean;
  chunkSize?: number;
  /** How many partitions are processed at once. Default 1. */
  partitionsConsumedConcurrently?: number;
}

export interface KafkaIntakeDependencies {
  intake: IntakePort;
  onReceipt?: (listener: (receipt: Receipt) => void) => () => void;
  onDeadLetter?: KafkaIntakeSettings['onDeadLetter'];
  onError?: (error: unknown) => void;
  /** The consumer joined its group ('connected') or crashed (kafkajs restarts it when it can). */
  onStateChange?: (state: 'connected' | 'restarting' | 'crashed', detail?: string) => void;
}

export interface RunningKafkaIntake {
  receipts?: ReceiptPublisher;
  stop(): Promise<void>;
}

export async function startKafkaIntake(config: KafkaIntakeConfig, deps: KafkaIntakeDependencies): Promise<RunningKafkaIntake> {
  const kafka = new Kafka(config.client);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const consumer = kafka.consumer({ groupId: config.groupId });
  consumer.on(consumer.events.GROUP_JOIN, () => deps.onStateChange?.('connected'));
  consumer.on(consumer.events.CRASH, ({ payload }) => deps.onStateChange?.(payload.restart ? 'restarting' : 'crashed', payload.error.message));
  try {
    await producer.connect();
    await consumer.connect();
    await consumer.subscribe({ topics: [config.topic], fromBeginning: config.fromBeginning ?? false });
  } catch (error) {
    // A half-open client keeps sockets and timers alive; the caller retries with a fresh one.
    await Promise.allSettled([consumer.disconnect(), producer.disconnect()]);
    throw error;
  }
  await consumer.run({
    eachBatchAutoResolve: false,
    autoCommit: true,
    partitionsConsumedConcurrently: config.partitionsConsumedConcurrently ?? 1,
    eachBatch: createEachBatchHandler({
      intake: deps.intake,
      producer,
      deadLetterTopic: config.deadLetterTopic,
      versionHeader: config.versionHeader,
      defaultVersion: config.defaultVersion,
      chunkSize: config.chunkSize,
      onDeadLetter: deps.onDeadLetter,
    }),
  });
  const receipts =
    config.receiptsTopic && deps.onReceipt
      ? publishReceipts({ producer, topic: config.receiptsTopic, onReceipt: deps.onReceipt, onError: deps.onError })
      : undefined;
  return {
    receipts,
    async stop() {
      await consumer.disconnect();
      await receipts?.stop();
      await producer.disconnect();
    },
  };
}
