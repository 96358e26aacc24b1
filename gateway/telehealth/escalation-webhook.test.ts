import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { EscalationWebhook, pagingOnEscalation } from './escalation-webhook.js';
import type { ConsultNotice } from './ports.js';

const HOST = `0x${'b0'.repeat(32)}` as const;
const SECRET = 'paging-shared-secret-0123';
const SESSION = 'sess_4f1c2b7a9d0e8f3a6b5c';

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

/** The paging system: answers each POST with the next status of a script (or hangs on 0). */
async function pagingSystem(statuses: number[]): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, body });
      const status = statuses.shift() ?? 200;
      if (status === 0) return;
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/page`, received, server };
}

describe('escalation webhook', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
  const webhookTo = (url: string, extra: { timeoutMs?: number; attempts?: number } = {}) =>
    new EscalationWebhook({ url, secret: SECRET, hostMember: HOST, linkBase: 'https://host.example/telehealth/sessions', backoffMs: 20, now: () => Date.UTC(2026, 11, 7, 20, 0, 0), ...extra });

  it('posts a signed event without PHI, retrying 503 and a timeout with the same delivery id', async () => {
    const paging = await pagingSystem([503, 0, 200]);
    servers.push(paging.server);
    const outcome = await webhookTo(paging.url, { timeoutMs: 1000 }).escalated(SESSION, 4);
    expect(outcome).toEqual({ delivered: true, attempts: 3, status: 200 });
    expect(paging.received).toHaveLength(3);
    const [first] = paging.received;
    const event = JSON.parse(first!.body) as Record<string, unknown>;
    expect(event).toEqual({
      event: 'telehealth.escalation',
      deliveryId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      sessionId: SESSION,
      severity: 4,
      hostMember: HOST,
      link: `https://host.example/telehealth/sessions/${SESSION}`,
      occurredAt: '2026-12-07T20:00:00.000Z',
    });
    expect(new Set(paging.received.map((r) => r.headers['x-careledger-delivery']))).toEqual(new Set([event.deliveryId]));
    const t = Date.UTC(2026, 11, 7, 20, 0, 0) / 1000;
    expect(first!.headers['x-careledger-signature']).toBe(`t=${t},v1=${createHmac('sha256', SECRET).update(`${t}.${first!.body}`).digest('hex')}`);
    expect(first!.headers['content-type']).toBe('application/json');
  });

  it('stops at a 4xx other than 408 and 429, and gives up after the last attempt', async () => {
    const refusing = await pagingSystem([400]);
    const failing = await pagingSystem([500, 500, 500]);
    servers.push(refusing.server, failing.server);
    expect(await webhookTo(refusing.url).escalated(SESSION, 2)).toEqual({ delivered: false, attempts: 1, status: 400 });
    expect(await webhookTo(failing.url, { attempts: 3 }).escalated(SESSION, 2)).toEqual({ delivered: false, attempts: 3, status: 500 });
    expect(failing.received).toHaveLength(3);
  });

  it('pages once per escalation told to everyone, without holding up the notifier', async () => {
    const paging = await pagingSystem([0]);
    servers.push(paging.server);
    const told: ConsultNotice[] = [];
    // The paging system never answers: a notifier that waited would take the whole 1 s timeout.
    const webhook = webhookTo(paging.url, { timeoutMs: 1000, attempts: 1 });
    const notifier = pagingOnEscalation({ notify: (_s, _p, notice) => told.push(notice) }, webhook);
    const started = performance.now();
    notifier.notify(SESSION, null, { kind: 'escalation', sessionId: SESSION, severity: 5 });
    notifier.notify(SESSION, 'dr-c', { kind: 'escalation', sessionId: SESSION, severity: 5 });
    notifier.notify(SESSION, null, { kind: 'provider-ready', sessionId: SESSION });
    expect(performance.now() - started).toBeLessThan(500);
    expect(told.map((notice) => notice.kind)).toEqual(['escalation', 'escalation', 'provider-ready']);
    await webhook.drain();
    expect(paging.received).toHaveLength(1);
  });

  it('refuses a URL that is not http(s) and a short secret', () => {
    expect(() => new EscalationWebhook({ url: 'ftp://x', secret: SECRET, hostMember: HOST, linkBase: 'x' })).toThrow(/http\(s\) URL/);
    expect(() => new EscalationWebhook({ url: 'https://x', secret: 'short', hostMember: HOST, linkBase: 'x' })).toThrow(/16 characters/);
  });
});
