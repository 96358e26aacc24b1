// One JSON-RPC round trip over anvil's IPC socket. anvil ends each answer with a newline; a fresh
// connection per request keeps answers from mixing without an id map.

import { connect } from 'node:net';

export class IpcRpcTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`the dev chain did not answer within ${timeoutMs} ms; is anvil stopped or overloaded? (see anvil.log)`);
  }
}

/** Sends `request` (a JSON-RPC object, serialized) and resolves with the raw JSON text of the answer. */
export function ipcRoundTrip(ipcPath: string, request: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(ipcPath);
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new IpcRpcTimeoutError(timeoutMs));
    }, timeoutMs);
    const finish = (error: Error | null, answer?: string): void => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(answer!);
    };
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      received += chunk;
      const end = received.indexOf('\n');
      if (end >= 0) finish(null, received.slice(0, end));
    });
    socket.on('error', (error) => finish(error));
    socket.on('close', () => finish(new Error('the dev chain closed its IPC connection without answering')));
    socket.write(request);
  });
}

/** eth_chainId over IPC, or null when nothing answers in time. */
export async function ipcChainId(ipcPath: string, timeoutMs = 1_000): Promise<number | null> {
  try {
    const answer = JSON.parse(await ipcRoundTrip(ipcPath, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }), timeoutMs)) as {
      result?: string;
    };
    return answer.result ? Number(answer.result) : null;
  } catch {
    return null;
  }
}
