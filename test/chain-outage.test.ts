// The chain goes away during an import: intake goes on (acknowledged writes keep coming), /health
// says degraded, and once the chain is back anchoring catches up and every version gets its
// receipt. The chain is a real anvil the test stops and restarts on the same state.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunningNode } from '../gateway/node.js';
import { startEmbeddedChain, type EmbeddedChain } from '../network/embedded-chain.js';
import { postBatch, waitForAnchoring } from './support/fhir-client.js';
import { freePort } from '../gateway/server/free-port.js';
import { startNodeOnOwnChain } from './support/node-on-own-chain.js';
import { syntheticR4 } from './support/synthetic-fhir.js';

describe('chain outage during an import', () => {
  const dir = mkdtempSync(join(tmpdir(), 'careledger-outage-'));
  let chain: EmbeddedChain | undefined;
  let node: RunningNode | undefined;

  afterAll(async () => {
    await node?.close();
    await chain?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps accepting, reports degraded, and catches up', async () => {
    const port = await freePort();
    let chainDir: string;
    ({ chain, chainDir, node } = await startNodeOnOwnChain(dir, 'outage-hospital', { chainPort: port }));
    const dev = JSON.parse((await import('node:fs')).readFileSync(node.devFile!, 'utf8')) as { token: string };
    const target = { fhirBase: `${node.fhirBase}/R4`, token: dev.token };
    const resources = syntheticR4(3000, { prefix: 'outage' });
    const health = async () => (await (await fetch(`${node!.config.publicUrl}/health`)).json()) as { status: string; anchoring: { state: string; leavesWaiting: number } };

    expect((await postBatch(target, resources.slice(0, 1000))).ok).toBe(true);
    await waitForAnchoring(node.config.publicUrl);
    expect((await health()).status).toBe('ok');

    await chain.stop();
    chain = undefined;
    const during = await postBatch(target, resources.slice(1000, 2000));
    expect(during.ok).toBe(true);
    expect(during.entryStatus.every((status) => status.startsWith('201'))).toBe(true);
    const deadline = Date.now() + 15_000;
    // The chain probe may report the outage before the anchorer's next attempt meets it: wait for both.
    const outageSeen = async () => {
      const now = await health();
      return now.status === 'degraded' && now.anchoring.state === 'chain-unreachable';
    };
    while (!(await outageSeen()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const degraded = await health();
    expect(degraded.status).toBe('degraded');
    expect(degraded.anchoring.state).toBe('chain-unreachable');
    expect((await postBatch(target, resources.slice(2000))).ok).toBe(true);

    chain = await startEmbeddedChain({ dataDir: chainDir, port });
    await waitForAnchoring(node.config.publicUrl, 60_000);
    expect((await health()).status).toBe('ok');
    const unanchored = node.db.prepare(
      "SELECT COUNT(*) AS n FROM journal j WHERE NOT EXISTS (SELECT 1 FROM batches b WHERE j.seq BETWEEN b.first_seq AND b.last_seq AND b.status = 'anchored')",
    ).get() as { n: number };
    expect(unanchored.n).toBe(0);
    expect((node.db.prepare('SELECT COUNT(*) AS n FROM journal').get() as { n: number }).n).toBe(3000);
    const receipt = await node.store.receipt('Observation', 'outage-o200-1', '1');
    expect(receipt.status).toBe('anchored');
  }, 120_000);
});
