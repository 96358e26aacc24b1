// HL7 v2 intake throughput: messages per second acknowledged (AA) over real MLLP on loopback,
// and ACK latency, with `concurrency` connections each sending its next message when the ACK
// for the previous one arrives (how interface engines send). The lead's `npm run bench` calls
// benchHl7 with the node's real intake.

import net from 'node:net';
import type { IntakePort } from '../../gateway/intake/port.js';
import { createHl7Mapper, type Hl7MappingOptions } from '../../fhir-adapters/hl7/map-message.js';
import { encodeMllpFrame, MllpFrameDecoder } from '../../fhir-adapters/hl7/mllp-framing.js';
import { startMllpListener } from '../../fhir-adapters/hl7/mllp-listener.js';

export interface Hl7BenchOptions {
  intake: IntakePort;
  /** ER7-encoded messages (segments separated by CR); see generateHl7Messages. */
  messages: string[];
  concurrency: number;
  /** Mapping options; a fixed benchmark key and UTC by default. */
  mapping?: Hl7MappingOptions;
}

export interface Hl7BenchResult {
  messages: number;
  concurrency: number;
  seconds: number;
  /** ACKed messages per second (all ACK codes). */
  messagesPerSecond: number;
  ackLatencyMs: { p50: number; p95: number; p99: number; max: number };
  /** ACK code (MSA-1) -> count; anything but AA means the run measured failures. */
  ackCodes: Record<string, number>;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function ackCode(payload: Buffer): string {
  const msa = payload.toString('latin1').split('\r').find((s) => s.startsWith('MSA'));
  return msa?.split('|')[1] ?? '?';
}

async function sendSequentially(port: number, next: () => string | undefined, latencies: number[], codes: Record<string, number>): Promise<void> {
  const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const decoder = new MllpFrameDecoder(16 * 1024 * 1024);
  let waiting: { resolve: (ack: Buffer) => void; reject: (err: Error) => void } | undefined;
  socket.on('data', (chunk: Buffer) => {
    for (const frame of decoder.push(chunk)) waiting?.resolve(frame);
  });
  socket.on('error', (err) => waiting?.reject(err));
  socket.on('close', () => waiting?.reject(new Error('MLLP connection closed before the ACK')));
  try {
    for (let message = next(); message !== undefined; message = next()) {
      const started = performance.now();
      const ack = await new Promise<Buffer>((resolve, reject) => {
        waiting = { resolve, reject };
        socket.write(encodeMllpFrame(Buffer.from(message, 'utf8')));
      });
      latencies.push(performance.now() - started);
      const code = ackCode(ack);
      codes[code] = (codes[code] ?? 0) + 1;
    }
  } finally {
    socket.destroy();
  }
}

export async function benchHl7({ intake, messages, concurrency, mapping }: Hl7BenchOptions): Promise<Hl7BenchResult> {
  const mapper = createHl7Mapper(mapping ?? { idKey: new Uint8Array(32).fill(1), timeZone: 'UTC' });
  const listener = await startMllpListener({ intake, mapper, port: 0 });
  const latencies: number[] = [];
  const codes: Record<string, number> = {};
  let cursor = 0;
  const next = (): string | undefined => messages[cursor++];
  const started = performance.now();
  try {
    await Promise.all(Array.from({ length: Math.max(1, concurrency) }, () => sendSequentially(listener.port, next, latencies, codes)));
  } finally {
    await listener.close({ drainTimeoutMs: 1000 });
  }
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const round = (n: number): number => Math.round(n * 100) / 100;
  return {
    messages: latencies.length,
    concurrency,
    seconds: round(seconds),
    messagesPerSecond: Math.round(latencies.length / seconds),
    ackLatencyMs: { p50: round(percentile(latencies, 50)), p95: round(percentile(latencies, 95)), p99: round(percentile(latencies, 99)), max: round(latencies.at(-1) ?? 0) },
    ackCodes: codes,
  };
}
