// The dev chain's only TCP endpoint: a JSON-RPC server on 127.0.0.1 that relays the methods of
// rpc-allowlist.ts to anvil's IPC socket and refuses the rest. anvil itself is reachable only
// through that socket (owner-only, see embedded-chain.ts), so this is what the node, the other
// nodes of a local consortium, `careledger verify --rpc` and payers talk to.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { IpcRpcChannel, IpcRpcTimeoutError } from './ipc-rpc.js';
import { isPublicRpcMethod } from './rpc-allowlist.js';

export interface FilteredRpcProxyOptions {
  ipcPath: string;
  /** 0 or absent: any free port. */
  port?: number;
  /** Which methods to relay; the public allowlist unless a test needs anvil's cheats. */
  allow?: (method: unknown) => boolean;
  /** How long one relayed request may wait for anvil. */
  upstreamTimeoutMs?: number;
}

export interface FilteredRpcProxy {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** anvil's own default request size limit. */
const MAX_BODY_BYTES = 2 * 1024 * 1024;
const MAX_BATCH = 100;
const DEFAULT_UPSTREAM_TIMEOUT_MS = 30_000;

interface RpcRequest {
  jsonrpc?: unknown;
  id?: unknown;
  method?: unknown;
}

export async function startFilteredRpcProxy(options: FilteredRpcProxyOptions): Promise<FilteredRpcProxy> {
  const allow = options.allow ?? isPublicRpcMethod;
  const timeoutMs = options.upstreamTimeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS;
  const upstream = new IpcRpcChannel(options.ipcPath, timeoutMs);

  const relay = async (request: RpcRequest): Promise<unknown> => {
    if (typeof request !== 'object' || request === null || Array.isArray(request)) return rpcError(null, -32600, 'invalid request');
    if (!allow(request.method)) {
      return rpcError(
        request.id,
        -32601,
        `${String(request.method)} is not served by this endpoint: it relays only reads and signed transactions (eth_sendRawTransaction)`,
      );
    }
    return upstream.request(request as Record<string, unknown>);
  };

  const server = createServer((req, res) => {
    void handle(req, res, relay, timeoutMs);
  });
  // A client trickling its request must not hold a connection for long.
  server.headersTimeout = 10_000;
  server.requestTimeout = timeoutMs + 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        upstream.close();
      }),
  };
}

// A browser verifier (the node's console at /console) reads the chain straight from the page, so
// it does not have to trust the node that served it. Any origin may: the relay serves only public
// reads and transactions their senders signed, and no cookie or credential is involved.
const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'POST',
  'access-control-allow-headers': 'content-type',
  'access-control-max-age': '600',
};

async function handle(req: IncomingMessage, res: ServerResponse, relay: (request: RpcRequest) => Promise<unknown>, timeoutMs: number): Promise<void> {
  if (req.method === 'OPTIONS') {
    res.writeHead(204, CORS_HEADERS).end();
    return;
  }
  if (req.method !== 'POST') return send(res, 405, rpcError(null, -32600, 'JSON-RPC requests are POSTed'));
  let body: string;
  try {
    body = await readBody(req);
  } catch {
    return send(res, 413, rpcError(null, -32600, `request body over ${MAX_BODY_BYTES} bytes`));
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return send(res, 400, rpcError(null, -32700, 'parse error: the body is not JSON'));
  }
  try {
    if (Array.isArray(parsed)) {
      if (parsed.length === 0 || parsed.length > MAX_BATCH) return send(res, 400, rpcError(null, -32600, `a batch holds 1 to ${MAX_BATCH} requests`));
      return send(res, 200, await Promise.all(parsed.map((request: RpcRequest) => relay(request))));
    }
    return send(res, 200, await relay(parsed as RpcRequest));
  } catch (error) {
    const id = Array.isArray(parsed) ? null : (parsed as RpcRequest | null)?.id;
    if (error instanceof IpcRpcTimeoutError) return send(res, 504, rpcError(id, -32603, error.message), Math.ceil(timeoutMs / 1000));
    return send(res, 502, rpcError(id, -32603, `the dev chain is not reachable: ${(error as Error).message}`));
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    // Past the limit the rest is read and dropped, so the client still gets its 413.
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => (size > MAX_BODY_BYTES ? reject(new Error('too large')) : resolve(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });
}

function rpcError(id: unknown, code: number, message: string): object {
  return { jsonrpc: '2.0', id: id ?? null, error: { code, message } };
}

function send(res: ServerResponse, status: number, payload: unknown, retryAfterSeconds?: number): void {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'access-control-allow-origin': '*' };
  if (retryAfterSeconds !== undefined) headers['retry-after'] = String(retryAfterSeconds);
  res.writeHead(status, headers).end(JSON.stringify(payload));
}
