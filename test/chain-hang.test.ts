// Issue 12, finding 9: a chain that hangs (anvil stopped with SIGSTOP: connections are accepted,
// nothing answers) must not go unnoticed. /health turns degraded and careledger_chain_up 0 within
// seconds, $verify-anchor answers 504 with Retry-After within the chain deadline instead of
// hanging, intake goes on, and after SIGCONT everything recovers with nothing anchored twice.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createEvmProvider } from '../gateway/ledger/evm/provider.js';
import type { RunningNode } from '../gateway/node.js';
import type { EmbeddedChain } from '../network/embedded-chain.js';
import { postBatch, waitForAnchoring, type FhirTarget } from './support/fhir-client.js';
import { startNodeOnOwnChain } from './support/node-on-own-chain.js';
import { awaitReceipt } from './support/receipts.js';

const CHAIN_TIMEOUT_MS = 2_000;

const patients = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => ({ resourceType: 'Patient', id: `hang-${from + i}`, name: [{ family: `Hang${from + i}` }] }));

describe('a hung chain', () => {
  const dir = mkdtempSync(join(tmpdir(), 'careledger-hang-'));
  let chain: EmbeddedChain | undefined;
  let node: RunningNode | undefined;
  let stopped = false;

  afterAll(async () => {
    if (stopped && chain) process.kill(chain.pid, 'SIGCONT');
    await node?.close();
    await chain?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('degrades health, answers $verify-anchor with 504 in time, and recovers without double anchoring', async () => {
    ({ chain, node } = await startNodeOnOwnChain(dir, 'hang-hospital', { env: { CHAIN_TIMEOUT_MS: String(CHAIN_TIMEOUT_MS) } }));
    const baseUrl = node.config.publicUrl;
    const dev = JSON.parse(readFileSync(node.devFile!, 'utf8')) as { token: string };
    const target: FhirTarget = { fhirBase: node.fhirBase, token: dev.token };
    const health = async () => (await (await fetch(`${baseUrl}/health`)).json()) as { status: string; chain: { reachable: boolean } };
    const chainUp = async () => Number(/^careledger_chain_up (\d)/m.exec(await (await fetch(`${baseUrl}/metrics`)).text())![1]);
    const verifyAnchor = (resource: unknown, receipt: unknown) =>
      fetch(`${node!.fhirBase}/$verify-anchor`, {
        method: 'POST',
        headers: { authorization: `Bearer ${dev.token}`, 'content-type': 'application/fhir+json' },
        body: JSON.stringify({
          resourceType: 'Parameters',
          parameter: [
            { name: 'resource', resource },
            { name: 'receipt', valueString: JSON.stringify(receipt) },
          ],
        }),
      });

    expect((await postBatch(target, patients(1, 20))).ok).toBe(true);
    await waitForAnchoring(baseUrl);
    const resource = (await (await fetch(`${node.fhirBase}/Patient/hang-1`, { headers: { authorization: `Bearer ${dev.token}` } })).json()) as {
      meta: { versionId: string };
    };
    const receipt = await awaitReceipt(target, 'Patient/hang-1', resource.meta.versionId);
    expect((await health()).status).toBe('ok');
    expect(await chainUp()).toBe(1);

    process.kill(chain.pid, 'SIGSTOP');
    stopped = true;
    const stoppedAt = Date.now();
    const during = await postBatch(target, patients(100, 20));
    expect(during.entryStatus.every((status) => status.startsWith('201'))).toBe(true);
    // The probe, not only a failed anchoring attempt, must notice: an idle node has nothing to anchor.
    while ((await health()).chain.reachable && Date.now() - stoppedAt < 15_000) await new Promise((r) => setTimeout(r, 100));
    const degradedAfterMs = Date.now() - stoppedAt;
    console.info(`the chain probe reported the hang ${degradedAfterMs} ms after SIGSTOP`);
    expect(await health()).toMatchObject({ status: 'degraded', chain: { reachable: false } });
    expect(degradedAfterMs).toBeLessThan(8_000);
    expect(await chainUp()).toBe(0);

    const asked = Date.now();
    const hung = await verifyAnchor(resource, receipt);
    const answeredMs = Date.now() - asked;
    console.info(`$verify-anchor answered ${hung.status} in ${answeredMs} ms while the chain hung`);
    expect(hung.status).toBe(504);
    expect(Number(hung.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await hung.json()) as { resourceType: string }).resourceType).toBe('OperationOutcome');
    expect(answeredMs).toBeLessThan(CHAIN_TIMEOUT_MS + 2_000);

    process.kill(chain.pid, 'SIGCONT');
    stopped = false;
    await waitForAnchoring(baseUrl, 60_000);
    const recovered = Date.now();
    while ((await health()).status !== 'ok' && Date.now() - recovered < 10_000) await new Promise((r) => setTimeout(r, 100));
    expect((await health()).status).toBe('ok');
    expect(await chainUp()).toBe(1);
    const again = await verifyAnchor(resource, receipt);
    expect(again.status).toBe(200);

    // Every batch is on chain exactly once, in order, with the root the journal has.
    const batches = node.db.prepare("SELECT seq, root, status FROM batches ORDER BY seq").all() as Array<{ seq: number; root: Buffer; status: string }>;
    expect(batches.every((b) => b.status === 'anchored')).toBe(true);
    const provider = createEvmProvider({ rpcUrl: chain.rpcUrl, chainId: chain.chainId });
    const anchored = await provider.getLogs({ address: node.chain.descriptor.contracts.AnchorRegistry, fromBlock: 0, toBlock: 'latest' });
    provider.destroy();
    expect(anchored).toHaveLength(batches.length);
    for (const batch of batches) expect(await node.chain.anchors.getAnchor(node.chain.memberId, BigInt(batch.seq))).toMatchObject({ root: `0x${batch.root.toString('hex')}` });
    expect((node.db.prepare('SELECT COUNT(*) AS n FROM journal').get() as { n: number }).n).toBe(40);
  }, 120_000);
});
