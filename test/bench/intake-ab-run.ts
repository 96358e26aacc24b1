// One intake measurement of the careledger tree at ROOT (a git worktree, e.g. an older commit):
// its embedded chain, consortium and node process; WARM R4 resources of warm-up, then N timed,
// through its R4 NDJSON import (batch Bundles of 500, 8 in flight). Prints one line of JSON:
// resources per second and the node process's CPU (all its threads) per resource. The synthetic
// resources come from this tree, so both sides of a comparison get the same input.
// Run by intake-ab.ts; alone: ROOT=/path/to/tree npx tsx test/bench/intake-ab-run.ts
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { syntheticR4 } from '../support/synthetic-fhir.js';

const ROOT = process.env.ROOT ?? process.cwd();
const N = Number(process.env.AB_N ?? 20_000);
const WARM = Number(process.env.AB_WARM ?? 10_000);
const fromRoot = (path: string) => import(join(ROOT, path));
const { startEmbeddedChain } = await fromRoot('network/embedded-chain.ts');
const { deployConsortium } = await fromRoot('network/deploy.ts');
const { loadNodeKeys } = await fromRoot('gateway/keys/node-keys.ts');
const { startNodeProcess } = await fromRoot('test/support/node-process.ts');
const { importNdjson } = await fromRoot('gateway/cli/ndjson-import.ts');
const { tokenSource } = await fromRoot('gateway/cli/dev-target.ts');

async function writeNdjson(path: string, resources: object[]): Promise<void> {
  const out = createWriteStream(path);
  for (const resource of resources) if (!out.write(`${JSON.stringify(resource)}\n`)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  out.end();
  await finished(out);
}

/** utime + stime of a process, in clock ticks (10 ms). */
function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

const work = mkdtempSync(join(tmpdir(), 'careledger-intake-ab-'));
const chain = await startEmbeddedChain({ dataDir: join(work, 'chain') });
try {
  const nodeDir = join(work, 'node');
  const keys = loadNodeKeys({ dataDir: nodeDir, allowGenerate: true });
  const deployed = await deployConsortium({
    rpcUrl: chain.rpcUrl,
    chainId: chain.chainId,
    deployerKey: chain.accounts[0]!.privateKey,
    members: [{ orgId: 'bench-hospital', roles: ['HOSPITAL'], signer: keys.memberWallet.address }],
    dataDir: join(work, 'chain'),
  });
  await writeNdjson(join(work, 'warm-up.ndjson'), syntheticR4(WARM, { prefix: 'warm' }));
  await writeNdjson(join(work, 'timed.ndjson'), syntheticR4(N, { prefix: 'bench' }));
  const node = await startNodeProcess({
    dataDir: nodeDir,
    env: { CARELEDGER_MODE: 'dev', CARELEDGER_ORG_ID: 'bench-hospital', CHAIN_RPC_URL: deployed.rpcUrl, CHAIN_ID: String(deployed.chainId), CHAIN_CONTRACTS: JSON.stringify(deployed.contracts), LOG_LEVEL: 'warn' },
  });
  try {
    const target = { fhirBase: `${node.dev.fhirBase}/R4`, token: tokenSource({ dataDir: nodeDir }) };
    const warm = await importNdjson([join(work, 'warm-up.ndjson')], target, { bundleSize: 500, concurrency: 8 });
    if (warm.failed) throw new Error(`warm-up: ${JSON.stringify(warm.failures[0])}`);
    const before = cpuTicks(node.child.pid!);
    const timed = await importNdjson([join(work, 'timed.ndjson')], target, { bundleSize: 500, concurrency: 8 });
    if (timed.failed) throw new Error(`timed: ${JSON.stringify(timed.failures[0])}`);
    const ticks = cpuTicks(node.child.pid!) - before;
    console.log(JSON.stringify({ root: ROOT, resources: timed.sent, perSec: Math.round(timed.sent / timed.seconds), cpuUsPerResource: Math.round((ticks * 10_000) / timed.sent) }));
  } finally {
    await node.kill('SIGTERM');
  }
} finally {
  await chain.stop();
  rmSync(work, { recursive: true, force: true });
}
process.exit(0);
