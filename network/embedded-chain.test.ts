import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectLedger } from '../gateway/ledger/factory.js';
import { createEvmProvider } from '../gateway/ledger/evm/provider.js';
import type { Hex } from '../gateway/ledger/ports.js';
import { deployConsortium } from './deploy.js';
import { type EmbeddedChain, startEmbeddedChain } from './embedded-chain.js';

const dataDirs: string[] = [];
const running: EmbeddedChain[] = [];
afterAll(async () => {
  await Promise.all(running.map((c) => c.stop()));
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

function freshDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'careledger-embedded-'));
  dataDirs.push(dir);
  return dir;
}

async function start(dataDir: string, port?: number): Promise<EmbeddedChain> {
  const t0 = performance.now();
  const chain = await startEmbeddedChain({ dataDir, port });
  console.info(`embedded chain ${chain.reused ? 'reused' : 'started'} in ${Math.round(performance.now() - t0)} ms`);
  running.push(chain);
  return chain;
}

async function rpc(chain: EmbeddedChain, method: string, params: unknown[] = []): Promise<any> {
  const provider = createEvmProvider(chain);
  try {
    return await provider.send(method, params);
  } finally {
    provider.destroy();
  }
}

/** Deploys a one-hospital consortium and anchors `count` batches; returns what a restart must keep. */
async function anchorSome(chain: EmbeddedChain, dataDir: string, count: number) {
  const t0 = performance.now();
  const descriptor = await deployConsortium({
    rpcUrl: chain.rpcUrl,
    chainId: chain.chainId,
    deployerKey: chain.accounts[0]!.privateKey,
    dataDir,
    members: [{ orgId: 'hospital-a', roles: ['HOSPITAL'], signer: chain.accounts[1]!.address }],
  });
  console.info(`deployConsortium took ${Math.round(performance.now() - t0)} ms`);
  const ledger = await connectLedger({ kind: 'evm', ...descriptor, privateKey: chain.accounts[1]!.privateKey, pollingIntervalMs: 50 });
  let prevRoot = `0x${'0'.repeat(64)}` as Hex;
  const records = [];
  for (let i = 1; i <= count; i++) {
    const record = await ledger.anchors.submitAnchor({ sequence: BigInt(i), root: `0x${String(i).padStart(64, 'a')}` as Hex, leafCount: i, prevRoot });
    records.push(record);
    prevRoot = record.root;
  }
  await ledger.close();
  return { descriptor, records };
}

async function expectHistoryIntact(chain: EmbeddedChain, dataDir: string, history: Awaited<ReturnType<typeof anchorSome>>) {
  const { descriptor, records } = history;
  const again = await deployConsortium({
    rpcUrl: chain.rpcUrl,
    chainId: chain.chainId,
    deployerKey: chain.accounts[0]!.privateKey,
    dataDir,
    members: [{ orgId: 'hospital-a', roles: ['HOSPITAL'], signer: chain.accounts[1]!.address }],
  });
  expect(again.reused).toBe(true);
  expect(again.contracts).toEqual(descriptor.contracts);
  const last = records.at(-1)!;
  const block = await rpc(chain, 'eth_getBlockByNumber', [`0x${last.blockNumber.toString(16)}`, false]);
  expect(block.transactions).toContain(last.txHash);
  const tx = await rpc(chain, 'eth_getTransactionByHash', [records[0]!.txHash]);
  expect(Number(tx.blockNumber)).toBe(records[0]!.blockNumber);
  const receipt = await rpc(chain, 'eth_getTransactionReceipt', [last.txHash]);
  expect(receipt.status).toBe('0x1');
  const logs = await rpc(chain, 'eth_getLogs', [{ address: descriptor.contracts.AnchorRegistry, fromBlock: '0x0', toBlock: 'latest' }]);
  expect(logs.map((l: { transactionHash: string }) => l.transactionHash)).toEqual(records.map((r) => r.txHash));
  const ledger = await connectLedger({ kind: 'evm', ...descriptor, rpcUrl: chain.rpcUrl, privateKey: chain.accounts[1]!.privateKey });
  expect(await ledger.anchors.latestSequence(last.member)).toBe(last.sequence);
  expect(await ledger.anchors.findByRoot(records[0]!.root)).toEqual(records[0]);
  expect(await ledger.anchors.getAnchor(last.member, last.sequence)).toEqual(last);
  await ledger.close();
}

describe('embedded chain', () => {
  it('serves a zero-gas london chain with the dev accounts', async () => {
    const chain = await start(freshDataDir());
    expect(chain.chainId).toBe(1337);
    expect(chain.reused).toBe(false);
    expect(chain.accounts[0]!.address).toBe('0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266');
    expect(await rpc(chain, 'eth_chainId')).toBe('0x539');
    const latest = await rpc(chain, 'eth_getBlockByNumber', ['latest', false]);
    expect(BigInt(latest.baseFeePerGas)).toBe(0n);
    await chain.stop();
    await chain.stop();
  });

  it('keeps blocks, transactions, receipts and logs across a clean restart', async () => {
    const dataDir = freshDataDir();
    const first = await start(dataDir);
    const history = await anchorSome(first, dataDir, 3);
    await first.stop();
    const second = await start(dataDir, first.port);
    expect(second.reused).toBe(false);
    await expectHistoryIntact(second, dataDir, history);
    await second.stop();
  });

  it('adopts the anvil of a node that died without stopping it', async () => {
    const dataDir = freshDataDir();
    const orphan = await start(dataDir);
    const adopted = await start(dataDir);
    expect(adopted.reused).toBe(true);
    // The orphan's filtered endpoint lives in this same process, so it still holds its port here;
    // after a real crash the port is free again and is kept.
    expect(adopted.pid).toBe(orphan.pid);
    expect(await rpc(adopted, 'eth_chainId')).toBe('0x539');
    await adopted.stop();
    expect(() => process.kill(orphan.pid, 0)).toThrow();
  });

  it('loses nothing older than the state interval when anvil itself is killed -9', async () => {
    const dataDir = freshDataDir();
    const first = await start(dataDir);
    const history = await anchorSome(first, dataDir, 2);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    process.kill(first.pid, 'SIGKILL');
    await first.stop();
    const second = await start(dataDir);
    expect(second.reused).toBe(false);
    await expectHistoryIntact(second, dataDir, history);
    await second.stop();
  });

  it('falls back to the last good state dump when the state file is truncated', async () => {
    const dataDir = freshDataDir();
    const first = await start(dataDir);
    const history = await anchorSome(first, dataDir, 1);
    await first.stop();
    // A start copies the good dump aside; then a crash mid-dump truncates the file.
    await (await start(dataDir)).stop();
    writeFileSync(join(dataDir, 'anvil-state.json'), '{"block":');
    const second = await start(dataDir);
    await expectHistoryIntact(second, dataDir, history);
    await second.stop();
  });

  it('starts fresh when the pidfile names a dead process, on the recorded port if it is free', async () => {
    const dataDir = freshDataDir();
    const probe = await start(freshDataDir());
    await probe.stop();
    writeFileSync(join(dataDir, 'anvil.pid'), JSON.stringify({ pid: 2 ** 22 + 12345, port: probe.port, chainId: 1337 }));
    const chain = await start(dataDir);
    expect([chain.reused, chain.port]).toEqual([false, probe.port]);
    await chain.stop();
  });

  it('replaces an anvil adopted from an older version that served its own port to everyone', async () => {
    const dataDir = freshDataDir();
    const stateFile = join(dataDir, 'anvil-state.json');
    const require = createRequire(import.meta.url);
    const binary = join(dirname(require.resolve(`@foundry-rs/anvil-${process.platform}-${process.arch === 'x64' ? 'amd64' : process.arch}/package.json`)), 'bin', 'anvil');
    const probe = await start(freshDataDir());
    await probe.stop();
    const open = spawn(binary, ['--host', '127.0.0.1', '--port', String(probe.port), '--chain-id', '1337', '--state', stateFile], { stdio: 'ignore' });
    const exited = new Promise((resolve) => open.once('exit', resolve));
    for (let i = 0; i < 200 && !(await fetch(`http://127.0.0.1:${probe.port}`, { method: 'POST' }).then(() => true, () => false)); i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    writeFileSync(join(dataDir, 'anvil.pid'), JSON.stringify({ pid: open.pid, port: probe.port, chainId: 1337 }));
    const chain = await start(dataDir);
    await exited;
    expect(chain.reused).toBe(false);
    expect(chain.pid).not.toBe(open.pid);
    expect(await rpc(chain, 'eth_chainId')).toBe('0x539');
    await chain.stop();
  });
});
