// The console's server side over HTTP (app.inject on a real dev node, and on bare apps for the
// cases a dev node cannot show): dev sign-in only to this machine's console page and only in dev
// mode, the Operations API behind a token with batches, anchors and refusal counts, and the page
// served with its CSP and caching.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleSessionRoutes } from '../../gateway/console/session-routes.js';
import { consoleStaticRoutes } from '../../gateway/console/static-routes.js';
import { postBatch, waitForAnchoring } from '../support/fhir-client.js';
import { startTestNode, type TestNode } from '../support/test-node.js';

describe('console API on a dev node', () => {
  let node: TestNode;
  beforeAll(async () => {
    node = await startTestNode();
    const outcome = await postBatch({ fhirBase: node.fhirBase, token: node.token }, [{ resourceType: 'Patient', id: 'ops-1' }, { resourceType: 'Patient', id: 'ops-2' }]);
    expect(outcome.ok).toBe(true);
    await waitForAnchoring(node.baseUrl);
  });
  afterAll(async () => node?.dispose());

  it('hands the console page on loopback a working dev staff token, and nobody else', async () => {
    const granted = await node.app.inject({ method: 'POST', url: '/console/api/dev-session', headers: { 'x-careledger-console': '1' } });
    expect(granted.statusCode).toBe(200);
    const session = granted.json() as { accessToken: string; expiresAt: string; label: string };
    expect(session.label).toBe('dev staff (careledger-dev)');
    expect(Date.parse(session.expiresAt) - Date.now()).toBeLessThanOrEqual(5 * 60_000);
    const read = await node.app.inject({ url: '/fhir/Patient/ops-1', headers: { authorization: `Bearer ${session.accessToken}` } });
    expect(read.statusCode).toBe(200);

    const remote = await node.app.inject({ method: 'POST', url: '/console/api/dev-session', headers: { 'x-careledger-console': '1' }, remoteAddress: '10.1.2.3' });
    expect(remote.statusCode).toBe(403);
    expect(remote.json().message).toMatch(/only to this machine/);
    const noHeader = await node.app.inject({ method: 'POST', url: '/console/api/dev-session' });
    expect(noHeader.statusCode).toBe(403);
  });

  it('serves operations figures only with a token: batches with their anchors, intake, backlog and refusals by reason', async () => {
    const anonymous = await node.app.inject({ url: '/console/api/operations' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['www-authenticate']).toMatch(/^Bearer/);
    await node.app.inject({ url: '/fhir/Patient/ops-1', headers: { authorization: 'Bearer not-a-token' } });

    const ops = await node.app.inject({ url: '/console/api/operations', headers: { authorization: `Bearer ${node.token}` } });
    expect(ops.statusCode).toBe(200);
    const body = ops.json() as {
      intake: { journaledTotal: number; perSecond60s: number };
      backlog: { leavesWaiting: number; closedBatchesWaiting: number };
      anchoring: { oldestUnanchoredAgeMs: number | null; lastAnchorLagMs: number | null };
      batches: Array<{ seq: number; status: string; txHash: string; blockNumber: number; leafCount: number }>;
      refusals: Array<{ reason: string; count: number }>;
    };
    expect(body.intake.journaledTotal).toBe(2);
    expect(body.intake.perSecond60s).toBeGreaterThan(0);
    expect(body.backlog).toEqual({ leavesWaiting: 0, closedBatchesWaiting: 0, oldestWaitingAt: null });
    expect(body.anchoring.oldestUnanchoredAgeMs).toBeNull();
    expect(body.anchoring.lastAnchorLagMs).toBeGreaterThanOrEqual(0);
    expect(body.batches[0]).toMatchObject({ seq: 1, status: 'anchored', leafCount: 2 });
    expect(body.batches[0]!.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(body.refusals).toEqual(expect.arrayContaining([{ reason: 'no valid token', count: 2 }]));
  });

  it('serves the page with a CSP allowing only itself and the chain RPC, and the config without secrets', async () => {
    const page = await node.app.inject({ url: '/console/' });
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain(`connect-src 'self' ${new URL(node.chain.descriptor.rpcUrl).origin}`);
    expect(page.headers['cache-control']).toBe('no-cache');
    const config = (await node.app.inject({ url: '/console/api/config' })).json();
    expect(config).toEqual({
      orgId: node.config.orgId,
      dev: true,
      fhirBase: '/fhir',
      chain: { kind: 'evm', chainId: node.chain.descriptor.chainId, rpcUrl: node.chain.descriptor.rpcUrl, explorerTxUrl: null },
      signIn: { dev: true, oidc: null },
    });
  });
});

describe('console routes outside dev mode and without a bundle', () => {
  const dist = mkdtempSync(join(tmpdir(), 'careledger-console-dist-'));
  afterAll(() => rmSync(dist, { recursive: true, force: true }));

  it('refuses dev sign-in when the node is not in dev mode', async () => {
    const app = fastify();
    await app.register(consoleSessionRoutes, {
      config: { orgId: 'h', dev: false, fhirBase: '/fhir', chain: { kind: 'evm', chainId: 1, rpcUrl: null, explorerTxUrl: null }, signIn: { dev: false, oidc: null } },
      dev: null,
    });
    const answer = await app.inject({ method: 'POST', url: '/console/api/dev-session', headers: { 'x-careledger-console': '1' } });
    expect(answer.statusCode).toBe(404);
    expect(answer.json().message).toMatch(/only in dev mode/);
  });

  it('says how to build the console while it is missing, then serves it with immutable assets once built', async () => {
    const app = fastify();
    await app.register(consoleStaticRoutes, { distDir: dist, connectOrigins: [] });
    const missing = await app.inject({ url: '/console/' });
    expect(missing.statusCode).toBe(503);
    expect(missing.body).toContain('npm run build:console');
    mkdirSync(join(dist, 'assets'));
    writeFileSync(join(dist, 'assets', 'index-abc.js'), 'console.log(1)');
    writeFileSync(join(dist, 'index.html'), '<!doctype html><script type="module" src="/console/assets/index-abc.js"></script>');
    expect((await app.inject({ url: '/console/' })).statusCode).toBe(200);
    const asset = await app.inject({ url: '/console/assets/index-abc.js' });
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(asset.headers['content-type']).toMatch(/^text\/javascript/);
    expect((await app.inject({ url: '/console/assets/other.js' })).statusCode).toBe(404);
  });
});
