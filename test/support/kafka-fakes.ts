// Hand-written implementations of the kafkajs interfaces the adapter uses (EachBatchPayload,
// Batch, KafkaMessage, Producer.send), recording what the adapter did with them, in order.
// They stand in for kafkajs only; everything of ours under test is real.

import type { Batch, EachBatchPayload, IHeaders, KafkaMessage, Producer, ProducerRecord, RecordMetadata } from 'kafkajs';

export function kafkaMessage(offset: number, value: unknown, headers: IHeaders = {}, key: string | null = null): KafkaMessage {
  return {
    key: key === null ? null : Buffer.from(key),
    value: value === null ? null : Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
    timestamp: String(Date.now()),
    attributes: 0,
    offset: String(offset),
    headers,
  };
}

export class RecordingBatchPayload implements EachBatchPayload {
  readonly batch: Batch;
  readonly log: string[];
  running = true;

  constructor(topic: string, partition: number, messages: KafkaMessage[], log: string[]) {
    this.log = log;
    const last = messages.at(-1)?.offset ?? '-1';
    this.batch = {
      topic,
      partition,
      highWatermark: String(Number(last) + 1),
      messages,
      isEmpty: () => messages.length === 0,
      firstOffset: () => messages[0]?.offset ?? null,
      lastOffset: () => last,
      offsetLag: () => '0',
      offsetLagLow: () => '0',
    };
  }

  resolveOffset(offset: string): void {
    this.log.push(`resolve ${offset}`);
  }
  async heartbeat(): Promise<void> {
    this.log.push('heartbeat');
  }
  pause(): () => void {
    return () => {};
  }
  async commitOffsetsIfNecessary(): Promise<void> {
    this.log.push('commit');
  }
  uncommittedOffsets(): ReturnType<EachBatchPayload['uncommittedOffsets']> {
    return { topics: [] };
  }
  isRunning(): boolean {
    return this.running;
  }
  isStale(): boolean {
    return false;
  }
}

export class RecordingProducer implements Pick<Producer, 'send'> {
  readonly records: ProducerRecord[] = [];
  failures = 0;

  constructor(private readonly log: string[]) {}

  async send(record: ProducerRecord): Promise<RecordMetadata[]> {
    if (this.failures > 0) {
      this.failures--;
      this.log.push(`send failed ${record.topic}`);
      throw new Error('KafkaJSConnectionError: broker unavailable');
    }
    this.records.push(record);
    this.log.push(`send ${record.topic} x${record.messages.length}`);
    return [{ topicName: record.topic, partition: 0, errorCode: 0 }];
  }
}
