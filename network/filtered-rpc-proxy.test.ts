// The filtered endpoint's own edges, against a real unix socket standing in for anvil: one that
// answers (echoing the method) and one that accepts and never answers, like a stopped anvil.

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FilteredRpcProxy, startFilteredRpcProxy } from './filtered-rpc-proxy.js';

const dir = mkdtempSync(join(tmpdir(), 'careledger-proxy-'));
const servers: Server[] = [];
const proxies: FilteredRpcProxy[] = [];

function unixServer(path: string, answer: boolean): Promise<void> {
  const server = createServer((socket) => {
    socket.on('data', (data) => {
      if (!answer) return;
      const request = JSON.parse(data.toString()) as { id: unknown; method: string };
      socket.write(`${JSON.stringify({ jsonrpc: '2.0', id: request.id, result: request.method })}\n`);
    });
  });
  servers.push(server);
  return new Promise((resolve) => server.listen(path, () => resolve()));
}

let answering: FilteredRpcProxy;
let hung: FilteredRpcProxy;

beforeAll(async () => {
  await unixServer(join(dir, 'answers.ipc'), true);
  await unixServer(join(dir, 'hangs.ipc'), false);
  answering = await startFilteredRpcProxy({ ipcPath: join(dir, 'answers.ipc') });
  hung = await startFilteredRpcProxy({ ipcPath: join(dir, 'hangs.ipc'), upstreamTimeoutMs: 300 });
  proxies.push(answering, hung);
});

afterAll(async () => {
  await Promise.all(proxies.map((proxy) => proxy.close()));
  for (const server of servers) server.close();
  rmSync(dir, { recursive: true, force: true });
});

const post = (proxy: FilteredRpcProxy, body: string) => fetch(proxy.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
const call = (method: string) => JSON.stringify({ jsonrpc: '2.0', id: 7, method, params: [] });

describe('filtered RPC proxy', () => {
  it("answers a browser's CORS preflight and lets any page read the answers (the console verifies receipts from the page)", async () => {
    const preflight = await fetch(answering.url, { method: 'OPTIONS', headers: { origin: 'http://127.0.0.1:8080', 'access-control-request-method': 'POST' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('content-type');
    const answer = await post(answering, call('eth_chainId'));
    expect(answer.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('relays an allowed method and refuses the rest with -32601 and the reason', async () => {
    expect(await (await post(answering, call('eth_blockNumber'))).json()).toEqual({ jsonrpc: '2.0', id: 7, result: 'eth_blockNumber' });
    const refused = (await (await post(answering, call('anvil_setStorageAt'))).json()) as { id: number; error: { code: number; message: string } };
    expect(refused).toMatchObject({ id: 7, error: { code: -32601 } });
    expect(refused.error.message).toContain('eth_sendRawTransaction');
  });

  it('answers malformed requests with JSON-RPC errors and relays nothing', async () => {
    expect((await post(answering, '{"jsonrpc":')).status).toBe(400);
    expect((await post(answering, '[]')).status).toBe(400);
    expect((await post(answering, JSON.stringify(Array.from({ length: 101 }, () => JSON.parse(call('eth_chainId')))))).status).toBe(400);
    expect((await fetch(answering.url)).status).toBe(405);
    expect((await post(answering, `{"pad":"${'x'.repeat(2 * 1024 * 1024)}"}`)).status).toBe(413);
    const odd = (await (await post(answering, JSON.stringify([42, { method: 7 }]))).json()) as Array<{ error: { code: number } }>;
    expect(odd.map((entry) => entry.error.code)).toEqual([-32600, -32601]);
  });

  it('gives up on an upstream that never answers with 504 and Retry-After', async () => {
    const started = Date.now();
    const response = await post(hung, call('eth_blockNumber'));
    expect(response.status).toBe(504);
    expect(response.headers.get('retry-after')).toBe('1');
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
