// The Kafka intake for the running node. A broker that is down when the node starts must not
// keep the node down (HTTP, HL7 and anchoring do not need Kafka), so connecting runs in the
// background and is retried with a growing pause until it works or the node stops; /health says
// where it stands. Before each attempt a plain TCP probe checks that some broker answers:
// kafkajs would otherwise spend many seconds in its own retries (which a stopping node cannot
// cut short) and log each of them.

import type { LogEntry } from 'kafkajs';
import net from 'node:net';
import type { KafkaAdapterConfig } from '../config.js';
import type { IntakePort } from '../intake/port.js';
import type { Receipt } from '../receipts/format.js';
import type { RunningKafkaIntake } from '../../fhir-adapters/kafka/kafka-intake.js';

// kafkajs' levels (logLevel.ERROR, WARN), so that kafkajs itself is loaded only by a node that
// has a Kafka intake configured (kafka-intake.ts is imported when connecting). A test checks
// them against kafkajs' own enum.
export const KAFKA_ERROR = 1;
export const KAFKA_WARN = 2;

export type KafkaState = 'connecting' | 'connected' | 'restarting' | 'retrying' | 'crashed' | 'stopped';

export interface KafkaHealth {
  state: KafkaState;
  topic: string;
  detail?: string;
}

interface KafkaLog {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

const MAX_RETRY_MS = 60_000;
const PROBE_TIMEOUT_MS = 3000;

export class KafkaAdapter {
  private state: KafkaState = 'connecting';
  private detail: string | undefined;
  private running: RunningKafkaIntake | undefined;
  private stopping = false;
  private wake: (() => void) | undefined;
  private readonly loop: Promise<void>;

  constructor(
    private readonly config: KafkaAdapterConfig,
    private readonly deps: {
      orgId: string;
      intake: IntakePort;
      /** Set when KAFKA_RECEIPTS_TOPIC is: where anchored receipts come from. */
      onReceipt?: (listener: (receipt: Receipt) => void) => () => void;
      log: KafkaLog;
    },
  ) {
    this.loop = this.connect();
  }

  health(): KafkaHealth {
    return { state: this.state, topic: this.config.topic, ...(this.detail ? { detail: this.detail } : {}) };
  }

  async close(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
    await this.running?.stop();
    this.state = 'stopped';
  }

  private async connect(): Promise<void> {
    for (let pauseMs = 1000; !this.stopping; pauseMs = Math.min(pauseMs * 2, MAX_RETRY_MS)) {
      try {
        if (!(await anyBrokerAnswers(this.config.brokers))) throw new Error(`no broker answers at ${this.config.brokers.join(', ')}`);
        if (this.stopping) return;
        const { startKafkaIntake } = await import('../../fhir-adapters/kafka/kafka-intake.js');
        const running = await startKafkaIntake(
          {
            client: {
              clientId: `careledger-${this.deps.orgId}`,
              brokers: this.config.brokers,
              logLevel: KAFKA_WARN,
              logCreator: () => (entry) => this.kafkajsLog(entry),
            },
            groupId: this.config.groupId,
            topic: this.config.topic,
            deadLetterTopic: this.config.deadLetterTopic,
            ...(this.config.receiptsTopic ? { receiptsTopic: this.config.receiptsTopic } : {}),
            defaultVersion: this.config.defaultVersion,
            // Only for a group without committed offsets (a new node): the EHR may have written
            // before the node first joined, and replaying retained messages is harmless.
            fromBeginning: true,
          },
          {
            intake: this.deps.intake,
            ...(this.deps.onReceipt ? { onReceipt: this.deps.onReceipt } : {}),
            onDeadLetter: ({ topic, partition, offset }) =>
              this.deps.log.warn({ topic, partition, offset, deadLetterTopic: this.config.deadLetterTopic }, 'Kafka message dead-lettered'),
            onError: (error) => this.deps.log.warn({ err: error }, 'Kafka receipt publishing failed; retrying'),
            onStateChange: (state, detail) => {
              this.set(state, detail);
              if (state !== 'connected') this.deps.log.error({ err: detail, state }, 'Kafka consumer crashed');
            },
          },
        );
        this.running = running;
        this.set('connected');
        if (this.stopping) return;
        this.deps.log.info({ brokers: this.config.brokers, topic: this.config.topic, groupId: this.config.groupId }, 'Kafka intake connected');
        return;
      } catch (error) {
        this.set('retrying', (error as Error).message);
        this.deps.log.warn({ err: (error as Error).message, retryInMs: pauseMs }, 'Kafka unreachable; retrying');
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, pauseMs);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    }
  }

  private set(state: KafkaState, detail?: string): void {
    this.state = state;
    this.detail = detail;
  }

  /** kafkajs' own log lines, into the node's logger (they would otherwise go to stdout as is). */
  private kafkajsLog({ namespace, level, log }: LogEntry): void {
    const { message, timestamp: _timestamp, logger: _logger, ...fields } = log;
    const line = { kafkajs: namespace, ...fields };
    if (level === KAFKA_ERROR) this.deps.log.error(line, `kafkajs: ${message}`);
    else if (level === KAFKA_WARN) this.deps.log.warn(line, `kafkajs: ${message}`);
    else this.deps.log.debug(line, `kafkajs: ${message}`);
  }
}

function anyBrokerAnswers(brokers: readonly string[]): Promise<boolean> {
  return Promise.all(
    brokers.map(
      (broker) =>
        new Promise<boolean>((resolve) => {
          const colon = broker.lastIndexOf(':');
          const socket = net.connect({ host: broker.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(broker.slice(colon + 1)) });
          const done = (answered: boolean) => {
            socket.destroy();
            resolve(answered);
          };
          socket.setTimeout(PROBE_TIMEOUT_MS, () => done(false));
          socket.once('connect', () => done(true));
          socket.once('error', () => done(false));
        }),
    ),
  ).then((answers) => answers.includes(true));
}
