// Issue 12, finding 10 and "Also build": a client that trickles its request is cut after the
// configured deadline, one address cannot hold more than its share of connections, clients and
// addresses over their rate get 429 with Retry-After (an OperationOutcome on FHIR routes), health
// stays reachable, and responses carry helmet's security headers. Real sockets on 127.0.0.1.

import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNode, type TestNode } from './support/test-node.js';

const REQUEST_TIMEOUT_MS = 2000;
const HEADERS_TIMEOUT_MS = 1000;
const MAX_CONNECTIONS = 8;
const PER_CLIENT = 40;
const PER_IP = 15;

interface Trickle {
  /** ms from the first byte until the server closed the socket. */
  closedAfterMs: number;
  received: string;
}

/** Sends `head`, then one byte of `drip` every 200 ms until the server closes the socket. */
function trickle(port: number, head: string, drip: string): Promise<Trickle> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, '127.0.0.1');
    const started = Date.now();
    let received = '';
    let at = 0;
    let timer: NodeJS.Timeout | undefined;
    socket.on('connect', () => {
      socket.write(head);
      timer = setInterval(() => {
        if (!socket.destroyed && at < drip.length) socket.write(drip[at++]!);
      }, 200);
    });
    socket.on('data', (chunk) => (received += chunk.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ closedAfterMs: Date.now() - started, received });
    });
    setTimeout(() => {
      clearInterval(timer);
      socket.destroy();
      reject(new Error(`the server still held a trickling connection after 15 s (received: ${received.slice(0, 80)})`));
    }, 15_000);
  });
}

describe('connection limits (issue 12: finding 10, rate limits, security headers)', () => {
  let node: TestNode;
  let port: number;

  beforeAll(async () => {
    node = await startTestNode({
      HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
      HTTP_MAX_CONNECTIONS_PER_IP: String(MAX_CONNECTIONS),
      RATE_LIMIT_PER_CLIENT: String(PER_CLIENT),
      RATE_LIMIT_PER_IP: String(PER_IP),
    });
    port = node.config.port;
  }, 60_000);
  afterAll(async () => node?.dispose());

  it('cuts a client that trickles its body once the request deadline passes, with 408', async () => {
    const body = JSON.stringify({ resourceType: 'Patient', name: [{ family: 'Slow'.repeat(40) }] });
    const head = `POST /fhir/Patient HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/fhir+json\r\nContent-Length: ${body.length}\r\n\r\n`;
    const result = await trickle(port, head, body);
    expect(result.closedAfterMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 100);
    expect(result.closedAfterMs).toBeLessThan(REQUEST_TIMEOUT_MS + 2500);
    expect(result.received).toMatch(/^HTTP\/1\.1 408/);
  });

  it('cuts a client that trickles its headers once the headers deadline passes', async () => {
    const result = await trickle(port, 'GET /fhir/metadata HTTP/1.1\r\n', 'X-Slow: ' + 'a'.repeat(200));
    expect(result.closedAfterMs).toBeLessThan(HEADERS_TIMEOUT_MS + 2500);
  });

  it('refuses connections from one address beyond its share and serves it again once they close', async () => {
    const sockets = await Promise.all(
      Array.from({ length: MAX_CONNECTIONS + 4 }, () => new Promise<Socket>((resolve) => {
        const socket = connect(port, '127.0.0.1', () => resolve(socket));
        socket.on('error', () => undefined);
      })),
    );
    await new Promise((r) => setTimeout(r, 300));
    const open = sockets.filter((socket) => !socket.destroyed && socket.readyState === 'open');
    expect(open.length).toBe(MAX_CONNECTIONS);
    for (const socket of sockets) socket.destroy();
    await new Promise((r) => setTimeout(r, 200));
    expect((await fetch(`${node.baseUrl}/health`)).status).toBeLessThan(500);
  });

  it('sends helmet security headers on FHIR and non-FHIR responses', async () => {
    for (const path of ['/fhir/metadata', '/health']) {
      const response = await fetch(`${node.baseUrl}${path}`);
      expect(response.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(response.headers.get('x-frame-options'), path).toBe('SAMEORIGIN');
      expect(response.headers.get('content-security-policy'), path).toContain("default-src 'self'");
      // The node may serve plain HTTP (loopback, inside the hospital network): no upgrade to https.
      expect(response.headers.get('content-security-policy'), path).not.toContain('upgrade-insecure-requests');
    }
  });

  it('answers a client over its rate with 429, Retry-After and an OperationOutcome; health stays reachable', async () => {
    const headers = { authorization: `Bearer ${node.token}` };
    const statuses: number[] = [];
    let limited: Response | undefined;
    for (let i = 0; i < PER_CLIENT + 5 && !limited; i++) {
      const response = await fetch(`${node.baseUrl}/fhir/Patient?_summary=count`, { headers });
      statuses.push(response.status);
      if (response.status === 429) limited = response;
      else await response.arrayBuffer();
    }
    expect(statuses.filter((status) => status === 200).length).toBeGreaterThan(PER_CLIENT - 10);
    expect(limited?.status).toBe(429);
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThan(0);
    const outcome = (await limited!.json()) as { resourceType: string; issue: Array<{ code: string; details: { text: string } }> };
    expect(outcome.resourceType).toBe('OperationOutcome');
    expect(outcome.issue[0]).toMatchObject({ code: 'throttled' });
    expect(outcome.issue[0]!.details.text).toMatch(/retry after/);
    expect((await fetch(`${node.baseUrl}/health`)).status).toBeLessThan(500);
    expect((await fetch(`${node.baseUrl}/metrics`)).status).toBe(200);
  });

  it('limits requests without a valid client token per address', async () => {
    let limited: Response | undefined;
    for (let i = 0; i < PER_IP + 5 && !limited; i++) {
      const response = await fetch(`${node.baseUrl}/fhir/Patient`, { headers: { authorization: 'Bearer clat_forged' } });
      if (response.status === 429) limited = response;
      else await response.arrayBuffer();
    }
    expect(limited?.status).toBe(429);
    expect(limited!.headers.get('retry-after')).toBeTruthy();
    expect((await fetch(`${node.baseUrl}/health`)).status).toBeLessThan(500);
  });
});
