// The eachBatch handler of the Kafka intake. Messages are taken in chunks; a chunk's resources
// go to IntakePort together (a transaction Bundle alone and atomic), invalid messages go to the
// dead-letter topic with their OperationOutcome and original headers, and only then — submit
// resolved and dead letters acknowledged by the brokers — are the chunk's offsets resolved and
// committed. A node failure throws out of the handler: nothing of the chunk is committed and
// kafkajs redelivers it, which intake's "unchanged" no-op makes harmless.

import { OperationOutcomeError } from '@medplum/core';
import type { OperationOutcome } from '@medplum/fhirtypes';
import type { EachBatchPayload, IHeaders, KafkaMessage, Producer } from 'kafkajs';
import type { IntakePort } from '../../gateway/intake/port.js';
import { toR5, type FhirVersion } from '../rest-sync/r5-intake.js';
import type { FhirResource } from '../../gateway/store/service.js';
import { readMessage, type MessageContent } from './kafka-message.js';

export interface KafkaIntakeSettings {
  intake: IntakePort;
  /** Sends dead letters (a connected kafkajs producer). */
  producer: Pick<Producer, 'send'>;
  deadLetterTopic: string;
  /** Header naming the FHIR version of a message. Default `fhir-version`. */
  versionHeader?: string;
  /** When the header is absent. Default R4. */
  defaultVersion?: FhirVersion;
  /** Messages per IntakePort submit. Default 200. */
  chunkSize?: number;
  onDeadLetter?: (info: { topic: string; partition: number; offset: string; outcome: OperationOutcome }) => void;
}

export const OUTCOME_HEADER = 'careledger-outcome';

export function createEachBatchHandler(settings: KafkaIntakeSettings): (payload: EachBatchPayload) => Promise<void> {
  const chunkSize = settings.chunkSize ?? 200;
  return async (payload) => {
    const { batch } = payload;
    for (let start = 0; start < batch.messages.length; start += chunkSize) {
      if (!payload.isRunning() || payload.isStale()) return;
      const chunk = batch.messages.slice(start, start + chunkSize);
      await processChunk(chunk, batch.topic, batch.partition, settings);
      for (const message of chunk) payload.resolveOffset(message.offset);
      await payload.commitOffsetsIfNecessary();
      await payload.heartbeat();
    }
  };
}

interface Pending {
  message: KafkaMessage;
  content?: MessageContent;
  resources: FhirResource[];
  failures: OperationOutcome['issue'];
}

async function processChunk(messages: KafkaMessage[], topic: string, partition: number, settings: KafkaIntakeSettings): Promise<void> {
  const source = `kafka:${topic}`;
  const pending: Pending[] = messages.map((message) => {
    const entry: Pending = { message, resources: [], failures: [] };
    try {
      entry.content = readMessage(message, { versionHeader: settings.versionHeader ?? 'fhir-version', defaultVersion: settings.defaultVersion ?? 'R4' });
    } catch (error) {
      if (!(error instanceof OperationOutcomeError)) throw error;
      entry.failures.push(...(error.outcome.issue ?? []));
      return entry;
    }
    entry.content.resources.forEach((resource, index) => {
      const converted = toR5(resource, entry.content!.version);
      if (converted.ok) entry.resources.push(converted.resource);
      else entry.failures.push(...located(converted.outcome.issue, entry.content!.resources.length > 1 ? index : undefined));
    });
    return entry;
  });

  // A transaction is all or nothing: one bad entry dead-letters the whole message.
  for (const entry of pending.filter((candidate) => candidate.content?.atomic)) {
    if (entry.failures.length > 0) continue;
    try {
      await settings.intake.submit(entry.resources.map((resource) => ({ resource })), { source, atomic: true });
    } catch (error) {
      if (!(error instanceof OperationOutcomeError)) throw error;
      entry.failures.push(...(error.outcome.issue ?? []));
    }
  }
  const loose = pending.filter((entry) => entry.content && !entry.content.atomic && entry.resources.length > 0);
  const owners = loose.flatMap((entry) => entry.resources.map((resource, index) => ({ entry, index, resource })));
  if (owners.length > 0) {
    const results = await settings.intake.submit(owners.map(({ resource }) => ({ resource })), { source });
    results.forEach((result, position) => {
      if (result.ok) return;
      const { entry, index } = owners[position]!;
      entry.failures.push(...located(result.outcome.issue as OperationOutcome['issue'], entry.resources.length > 1 ? index : undefined));
    });
  }

  const dead = pending.filter((entry) => entry.failures.length > 0);
  if (dead.length === 0) return;
  await settings.producer.send({
    topic: settings.deadLetterTopic,
    messages: dead.map(({ message, failures }) => {
      const outcome: OperationOutcome = { resourceType: 'OperationOutcome', issue: failures };
      settings.onDeadLetter?.({ topic, partition, offset: message.offset, outcome });
      return {
        key: message.key,
        value: message.value,
        headers: {
          ...(message.headers as IHeaders | undefined),
          [OUTCOME_HEADER]: JSON.stringify(outcome),
          'careledger-origin': `${topic}/${partition}/${message.offset}`,
        },
      };
    }),
  });
}

function located(issues: OperationOutcome['issue'] | undefined, index: number | undefined): NonNullable<OperationOutcome['issue']> {
  return (issues ?? []).map((issue) =>
    index === undefined ? issue : { ...issue, diagnostics: `Bundle.entry[${index}]: ${issue.diagnostics ?? issue.details?.text ?? ''}` },
  );
}
