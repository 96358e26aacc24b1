// kill -9 in the middle of an import of 10,000 resources, then a restart: every acknowledged
// resource ends with exactly one receipt, no batch is anchored twice, and the member's anchor
// log on chain has no gap. A real node in a child process, a real chain, real SQLite.

import Database from 'better-sqlite3';
import { Contract, JsonRpcProvider } from 'ethers';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { anchorRegistryInterface } from '../gateway/ledger/evm/contracts.js';
import { postBatch, waitForAnchoring } from './support/fhir-client.js';
import { startNodeProcess, type NodeProcess } from './support/node-process.js';
import { syntheticR4 } from './support/synthetic-fhir.js';

const TOTAL = 10_000;
const BUNDLE = 250;

describe('crash recovery (kill -9 during an import)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'careledger-crash-'));
  let node: NodeProcess | undefined;

  afterAll(async () => {
    await node?.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('loses nothing acknowledged and anchors nothing twice', async () => {
    const env = { BATCH_MAX_AGE_MS: '200', BATCH_MAX_LEAVES: '1000' };
    const resources = syntheticR4(TOTAL, { prefix: 'crash' });
    const acknowledged = new Set<string>();
    node = await startNodeProcess({ dataDir, env });
    const target = () => ({ fhirBase: `${node!.dev.fhirBase}/R4`, token: node!.dev.token });

    // Two bundles in flight at a time; kill -9 once 4,000 are acknowledged, mid-request.
    let next = 0;
    let killed = false;
    const send = async (): Promise<void> => {
      while (next < TOTAL && !killed) {
        const slice = resources.slice(next, next + BUNDLE);
        next += BUNDLE;
        let outcome;
        try {
          outcome = await postBatch({ fhirBase: target().fhirBase, token: target().token }, slice, target().fhirBase);
        } catch {
          return; // the connection died with the node: those entries were never acknowledged
        }
        outcome.entryStatus.forEach((status, i) => {
          if (/^20[01]/.test(status)) acknowledged.add(`${slice[i]!.resourceType}/${slice[i]!.id}`);
        });
        if (acknowledged.size >= 4_000 && !killed) {
          killed = true;
          await node!.kill('SIGKILL');
        }
      }
    };
    await Promise.all([send(), send()]);
    expect(killed).toBe(true);
    const acknowledgedBeforeCrash = acknowledged.size;

    // Restart on the same data directory; the client re-sends everything it has no answer for.
    node = await startNodeProcess({ dataDir, env });
    for (let i = 0; i < TOTAL; i += BUNDLE) {
      const slice = resources.slice(i, i + BUNDLE).filter((r) => !acknowledged.has(`${r.resourceType}/${r.id}`));
      if (slice.length === 0) continue;
      const outcome = await postBatch(target(), slice, target().fhirBase);
      expect(outcome.ok).toBe(true);
      outcome.entryStatus.forEach((status, k) => {
        expect(status).toMatch(/^20[01]/);
        acknowledged.add(`${slice[k]!.resourceType}/${slice[k]!.id}`);
      });
    }
    expect(acknowledged.size).toBe(TOTAL);
    await waitForAnchoring(node.baseUrl, 90_000);
    const { rpcUrl, contracts, memberId } = node.dev;
    // The chain (read while the node, which runs it, is still up).
    const provider = new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true });
    const registry = new Contract(contracts.AnchorRegistry!, anchorRegistryInterface, provider);
    const events = await registry.queryFilter(registry.filters.Anchored!(memberId), 0, 'latest');
    provider.destroy();
    await node.kill('SIGTERM');
    node = undefined;

    // The journal: exactly one version of each resource, each in an anchored batch.
    const db = new Database(join(dataDir, 'careledger.db'), { readonly: true });
    const versions = db
      .prepare(
        `SELECT type, id, n, (SELECT seq FROM batches WHERE last_seq >= first ORDER BY last_seq LIMIT 1) AS batch
         FROM (SELECT type, id, COUNT(*) AS n, MIN(seq) AS first FROM journal GROUP BY type, id)`,
      )
      .all() as Array<{
      type: string;
      id: string;
      n: number;
      batch: number | null;
    }>;
    expect(versions).toHaveLength(TOTAL);
    expect(versions.every((v) => v.n === 1 && v.batch !== null)).toBe(true);
    const batches = db.prepare("SELECT seq, lower(hex(root)) AS root, status FROM batches ORDER BY seq").all() as Array<{
      seq: number;
      root: string;
      status: string;
    }>;
    db.close();
    expect(batches.every((b) => b.status === 'anchored')).toBe(true);

    // One Anchored event per local batch, sequences 1..n without gap or repeat.
    const sequences = events.map((event) => Number((event as unknown as { args: { sequence: bigint } }).args.sequence));
    expect(sequences).toEqual(batches.map((b) => b.seq));
    expect(sequences).toEqual(Array.from({ length: sequences.length }, (_, i) => i + 1));
    const roots = events.map((event) => (event as unknown as { args: { root: string } }).args.root.slice(2));
    expect(new Set(roots).size).toBe(roots.length);
    expect(roots).toEqual(batches.map((b) => b.root));

    console.log(`crash recovery: ${acknowledgedBeforeCrash} acknowledged before kill -9, ${batches.length} batches, no gap`);
  }, 240_000);
});
