// The HL7 v2 MLLP endpoint. Each connection is processed strictly in order: a feed that sends
// A01 then A08 for a patient must see them applied in that order, and senders that pipeline
// match ACKs to messages in order. Connections run concurrently with each other.
//
// Built on node:net with our own framing rather than @medplum/hl7's Hl7Server (4.5.2): that
// server binds every interface with no host option, retries EADDRINUSE forever without
// reporting it, merges pipelined messages that arrive in one read (see mllp-framing.ts), and
// drops unparseable payloads without any way to answer them. Payload parsing is still
// @medplum/core's Hl7Message, and the tests drive this listener with @medplum/hl7's Hl7Client.

import net from 'node:net';
import type { IntakePort } from '../../gateway/intake/port.js';
import type { AckCode } from './ack-message.js';
import { acknowledge, type Hl7Log } from './acknowledge.js';
import { assertSupportedCharset } from './charset.js';
import type { Hl7Mapper } from './map-message.js';
import { encodeMllpFrame, MllpFrameDecoder, MllpFrameTooLarge } from './mllp-framing.js';

export interface MllpListenerOptions {
  intake: IntakePort;
  mapper: Hl7Mapper;
  /** Default 2575 (the IANA port for HL7 over MLLP); 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1: exposing PHI intake on other interfaces is a deliberate choice. */
  host?: string;
  /** HL7 table 0211 value assumed when MSH-18 is empty. Default 'UNICODE UTF-8'. */
  defaultCharset?: string;
  /** Largest accepted message; a larger frame closes the connection. Default 4 MiB. */
  maxMessageBytes?: number;
  /** Messages read ahead per connection before reading pauses (backpressure). Default 64. */
  maxQueuedPerConnection?: number;
  /** MSH-3 / MSH-4 of ACKs when the original names no receiving application / facility. */
  application?: string;
  facility?: string;
  log?: Hl7Log;
}

export interface MllpListener {
  readonly host: string;
  readonly port: number;
  /** Open connections (for metrics and tests). */
  connectionCount(): number;
  /** ACKs sent since start, by MSA-1 code (for metrics). */
  ackCounts(): Record<AckCode, number>;
  /**
   * Stops accepting connections, stops reading, lets each connection finish and acknowledge the
   * message in progress, then closes it; after `drainTimeoutMs` the rest are destroyed. Messages
   * read but not started are dropped unacknowledged, which MLLP senders resend.
   */
  close(options?: { drainTimeoutMs?: number }): Promise<void>;
}

class Connection {
  private readonly decoder: MllpFrameDecoder;
  private readonly queue: Buffer[] = [];
  private running: Promise<void> | undefined;
  private paused = false;
  private closing = false;

  constructor(
    private readonly socket: net.Socket,
    private readonly handle: (payload: Buffer) => Promise<Buffer>,
    maxMessageBytes: number,
    private readonly maxQueued: number,
    private readonly log: Hl7Log | undefined,
  ) {
    this.decoder = new MllpFrameDecoder(maxMessageBytes);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 60_000);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.log?.warn({ err: err.message, remote: socket.remoteAddress }, 'MLLP connection error'));
    // Unacknowledged messages of a closed connection are resent by the sender; skip them.
    socket.on('close', () => {
      this.queue.length = 0;
    });
  }

  private onData(chunk: Buffer): void {
    if (this.closing) return;
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      if (!(err instanceof MllpFrameTooLarge)) throw err;
      // Without a complete frame there is no message to answer; the stream cannot be resynced.
      this.log?.warn({ limit: err.limit, remote: this.socket.remoteAddress }, 'MLLP frame too large; closing connection');
      this.socket.destroy();
      return;
    }
    this.queue.push(...frames);
    if (this.queue.length >= this.maxQueued && !this.paused) {
      this.paused = true;
      this.socket.pause();
    }
    if (!this.running && this.queue.length > 0) this.running = this.drain();
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 && !this.closing) {
      const payload = this.queue.shift()!;
      let ack: Buffer;
      try {
        ack = await this.handle(payload);
      } catch (err) {
        // acknowledge() answers every expected failure; reaching here is a bug, and an ACK
        // for this message can no longer be trusted, so the sender is made to reconnect.
        this.log?.error({ err: (err as Error).message }, 'MLLP message handling failed');
        this.socket.destroy();
        break;
      }
      if (!this.socket.destroyed) this.socket.write(encodeMllpFrame(ack));
      if (this.paused && this.queue.length <= this.maxQueued / 2) {
        this.paused = false;
        this.socket.resume();
      }
    }
    this.running = undefined;
  }

  /** Finishes the message in progress, then ends the connection. */
  async shutdown(): Promise<void> {
    this.closing = true;
    this.queue.length = 0;
    await this.running;
    await new Promise<void>((resolve) => {
      if (this.socket.destroyed) return resolve();
      this.socket.once('close', () => resolve());
      this.socket.end();
    });
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export async function startMllpListener(options: MllpListenerOptions): Promise<MllpListener> {
  const host = options.host ?? '127.0.0.1';
  const defaultCharset = options.defaultCharset ?? 'UNICODE UTF-8';
  assertSupportedCharset(defaultCharset);
  const maxMessageBytes = options.maxMessageBytes ?? 4 * 1024 * 1024;
  const maxQueued = options.maxQueuedPerConnection ?? 64;
  const deps = {
    intake: options.intake,
    mapper: options.mapper,
    defaultCharset,
    identity: { application: options.application ?? 'CARELEDGER', facility: options.facility ?? '' },
    log: options.log,
  };
  const acks: Record<AckCode, number> = { AA: 0, AE: 0, AR: 0 };
  const handle = async (payload: Buffer): Promise<Buffer> => {
    const ack = await acknowledge(payload, deps);
    acks[ack.code]++;
    return ack.payload;
  };

  const connections = new Set<Connection>();
  const server = net.createServer((socket) => {
    const connection = new Connection(socket, handle, maxMessageBytes, maxQueued, options.log);
    connections.add(connection);
    socket.once('close', () => connections.delete(connection));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 2575, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => options.log?.error({ err: err.message }, 'MLLP listener error'));
  const address = server.address() as net.AddressInfo;

  return {
    host: address.address,
    port: address.port,
    connectionCount: () => connections.size,
    ackCounts: () => ({ ...acks }),
    async close({ drainTimeoutMs = 10_000 } = {}) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const open = [...connections];
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          for (const c of open) c.destroy();
          resolve();
        }, drainTimeoutMs);
      });
      await Promise.race([Promise.all(open.map((c) => c.shutdown())), timeout]);
      clearTimeout(timer);
      await closed;
    },
  };
}
