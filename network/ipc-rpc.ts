// JSON-RPC over anvil's IPC socket. One connection carries every request: each goes out under an
// id of the channel's own and its answer (anvil ends each with a newline) is matched back by that
// id, so answers never mix and no request pays for a connect. A connection that fails fails the
// requests on it; the next request opens a new one.

import { connect, type Socket } from 'node:net';

export class IpcRpcTimeoutError extends Error {
  /** ethers' code for a request that got no answer in time: callers treat both alike. */
  readonly code = 'TIMEOUT';

  constructor(readonly timeoutMs: number) {
    super(`the dev chain did not answer within ${timeoutMs} ms; is anvil stopped or overloaded? (see anvil.log)`);
  }
}

interface Pending {
  /** The id the caller used, restored on the answer. */
  id: unknown;
  resolve: (answer: Record<string, unknown>) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export class IpcRpcChannel {
  private socket: Socket | null = null;
  private received = '';
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(
    private readonly ipcPath: string,
    private readonly timeoutMs: number,
  ) {}

  /** Sends one JSON-RPC request object and resolves with its answer, under the caller's id. */
  request(request: Record<string, unknown>): Promise<Record<string, unknown>> {
    const wireId = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(wireId);
        reject(new IpcRpcTimeoutError(this.timeoutMs));
      }, this.timeoutMs);
      this.pending.set(wireId, { id: request.id, resolve, reject, timer });
      this.connection().write(`${JSON.stringify({ ...request, id: wireId })}\n`);
    });
  }

  close(): void {
    if (this.socket) this.fail(this.socket, new Error('the IPC channel to the dev chain was closed'));
  }

  private connection(): Socket {
    if (this.socket) return this.socket;
    const socket = connect(this.ipcPath);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.receive(chunk));
    socket.on('error', (error) => this.fail(socket, error));
    socket.on('close', () => this.fail(socket, Object.assign(new Error('the dev chain closed its IPC connection without answering'), { code: 'ECONNRESET' })));
    this.socket = socket;
    this.received = '';
    return socket;
  }

  private receive(chunk: string): void {
    this.received += chunk;
    for (let end = this.received.indexOf('\n'); end >= 0; end = this.received.indexOf('\n')) {
      const line = this.received.slice(0, end);
      this.received = this.received.slice(end + 1);
      if (line.trim() === '') continue;
      const answer = JSON.parse(line) as Record<string, unknown>;
      const entry = this.pending.get(answer.id as number);
      // An answer that arrives after its request timed out has no one left to hear it.
      if (!entry) continue;
      this.pending.delete(answer.id as number);
      clearTimeout(entry.timer);
      entry.resolve({ ...answer, id: entry.id });
    }
  }

  private fail(socket: Socket, error: Error): void {
    if (this.socket !== socket) return;
    this.socket = null;
    socket.destroy();
    for (const entry of this.pending.values()) {
      clearTimeout(entry.timer);
      entry.reject(error);
    }
    this.pending.clear();
  }
}

/** eth_chainId over IPC, or null when nothing answers in time. */
export async function ipcChainId(ipcPath: string, timeoutMs = 1_000): Promise<number | null> {
  const channel = new IpcRpcChannel(ipcPath, timeoutMs);
  try {
    const answer = await channel.request({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] });
    return typeof answer.result === 'string' ? Number(answer.result) : null;
  } catch {
    return null;
  } finally {
    channel.close();
  }
}
