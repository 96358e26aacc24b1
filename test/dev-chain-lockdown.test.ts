// Issue 12, finding 5: the embedded dev chain must not be a back door. Another process on the
// host (a separate OS process here, not the test's own code) tries what anvil would let it do:
// impersonate the member's signer and anchor, vote in an EMERGENCY member from an unlocked dev
// account, rewrite contract storage and code, stop mining, and reach anvil behind the node's
// endpoint (its own TCP port, its IPC socket as another user). All of it must fail and leave the
// chain as it was, while a validly signed transaction is still relayed and the node's own
// anchoring goes on.

import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anchorRegistryInterface, consortiumRegistryInterface } from '../gateway/ledger/evm/contracts.js';
import { connectEvmLedger, type EvmLedger } from '../gateway/ledger/evm/connect.js';
import { createEvmProvider } from '../gateway/ledger/evm/provider.js';
import { MemberRole, type Hex } from '../gateway/ledger/ports.js';
import { deployConsortium, type DeployResult } from '../network/deploy.js';
import { startEmbeddedChain, type EmbeddedChain } from '../network/embedded-chain.js';
import { startNodeProcess } from './support/node-process.js';

const run = promisify(execFile);
const ZERO = `0x${'0'.repeat(64)}` as Hex;
const root = (n: number) => `0x${String(n).padStart(64, 'b')}` as Hex;

/** What the foreign process runs: raw JSON-RPC over HTTP, a TCP probe and a unix socket probe. */
const ATTACKER = `
import { connect } from 'node:net';
const { rpcUrl, calls, anvilPort, ipcPath } = JSON.parse(process.argv[2]);
const post = async (url, body) => {
  try {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(5000) });
    return { status: response.status, body: await response.json() };
  } catch (error) {
    return { failed: error.cause?.code ?? error.code ?? error.message };
  }
};
const socket = (path) => new Promise((resolve) => {
  if (!path) return resolve('no socket');
  const s = connect(path);
  s.on('connect', () => { s.destroy(); resolve('connected'); });
  s.on('error', (error) => resolve(error.code));
});
const results = {};
for (const [name, body] of Object.entries(calls)) results[name] = await post(rpcUrl, body);
results.anvilPort = await post('http://127.0.0.1:' + anvilPort, { jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] });
results.ipc = await socket(ipcPath);
process.stdout.write(JSON.stringify(results));
`;

interface AttackResult {
  status?: number;
  body?: { result?: unknown; error?: { code: number; message: string } } | Array<{ result?: unknown; error?: { code: number } }>;
  failed?: string;
}

describe('the embedded dev chain against a foreign local process', () => {
  const dir = mkdtempSync(join(tmpdir(), 'careledger-lockdown-'));
  const member = Wallet.createRandom();
  const attacker = Wallet.createRandom();
  let chain: EmbeddedChain;
  let deployed: DeployResult;
  let ledger: EvmLedger;

  beforeAll(async () => {
    chain = await startEmbeddedChain({ dataDir: join(dir, 'chain') });
    // The node's own path: deploy and anchor with its keys through the endpoint everyone gets.
    deployed = await deployConsortium({
      rpcUrl: chain.rpcUrl,
      chainId: chain.chainId,
      deployerKey: chain.accounts[0]!.privateKey,
      members: [{ orgId: 'lockdown-hospital', roles: ['HOSPITAL'], signer: member.address.toLowerCase() as Hex }],
      dataDir: join(dir, 'chain'),
    });
    ledger = await connectEvmLedger({ kind: 'evm', ...deployed, privateKey: member.privateKey as Hex, pollingIntervalMs: 50 });
    await ledger.anchors.submitAnchor({ sequence: 1n, root: root(1), leafCount: 1, prevRoot: ZERO });
  }, 60_000);

  afterAll(async () => {
    await ledger?.close();
    await chain?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function attack(calls: Record<string, unknown>, asUid?: number): Promise<Record<string, AttackResult> & { ipc: string }> {
    // Readable by the other user too: only the chain's own rpc directory is meant to keep it out.
    chmodSync(dir, 0o755);
    const script = join(dir, 'attacker.mjs');
    writeFileSync(script, ATTACKER, { mode: 0o644 });
    const log = readFileSync(join(dir, 'chain', 'anvil.log'), 'utf8');
    const anvilPort = Number([...log.matchAll(/Listening on 127\.0\.0\.1:(\d+)/g)].at(-1)![1]);
    const options = asUid === undefined ? {} : { uid: asUid, gid: asUid };
    const { stdout } = await run(process.execPath, [script, JSON.stringify({ rpcUrl: chain.rpcUrl, calls, anvilPort, ipcPath: chain.ipcPath })], {
      ...options,
      timeout: 30_000,
    });
    return JSON.parse(stdout);
  }

  it('refuses every cheat and unlocked-account method and leaves the chain untouched', async () => {
    const provider = createEvmProvider({ rpcUrl: chain.rpcUrl, chainId: chain.chainId });
    const { AnchorRegistry, ConsortiumRegistry } = deployed.contracts;
    const before = {
      block: await provider.getBlockNumber(),
      slot0: await provider.getStorage(AnchorRegistry, 0),
      code: await provider.getCode(AnchorRegistry),
    };
    const rpc = (method: string, params: unknown[]) => ({ jsonrpc: '2.0', id: 1, method, params });
    const forgedAnchor = anchorRegistryInterface.encodeFunctionData('anchor', [2, root(666), 1, root(1)]);
    const emergencyVote = consortiumRegistryInterface.encodeFunctionData('proposeAddMember', ['intruder', MemberRole.EMERGENCY, attacker.address]);
    const dev0 = chain.accounts[0]!.address;
    const results = await attack({
      impersonate: rpc('anvil_impersonateAccount', [member.address]),
      autoImpersonate: rpc('anvil_autoImpersonateAccount', [true]),
      hardhatImpersonate: rpc('hardhat_impersonateAccount', [member.address]),
      forgedAnchor: rpc('eth_sendTransaction', [{ from: member.address, to: AnchorRegistry, data: forgedAnchor }]),
      unlockedVote: rpc('eth_sendTransaction', [{ from: dev0, to: ConsortiumRegistry, data: emergencyVote }]),
      personalSend: rpc('personal_sendTransaction', [{ from: dev0, to: ConsortiumRegistry, data: emergencyVote }, '']),
      unlockedSign: rpc('eth_sign', [dev0, '0x1234']),
      setStorage: rpc('anvil_setStorageAt', [AnchorRegistry, '0x0', `0x${'f'.repeat(64)}`]),
      setCode: rpc('anvil_setCode', [AnchorRegistry, '0x00']),
      setBalance: rpc('anvil_setBalance', [attacker.address, '0xffffffff']),
      stopMining: rpc('evm_setAutomine', [false]),
      intervalMining: rpc('evm_setIntervalMining', [0]),
      dropPool: rpc('anvil_dropAllTransactions', []),
      snapshot: rpc('evm_snapshot', []),
      revert: rpc('evm_revert', ['0x0']),
      reset: rpc('anvil_reset', []),
      mine: rpc('anvil_mine', ['0x10']),
      timeTravel: rpc('evm_increaseTime', [86_400 * 8]),
      debug: rpc('debug_traceTransaction', [ZERO]),
      smuggledInBatch: [rpc('eth_chainId', []), rpc('anvil_impersonateAccount', [member.address])],
    });
    provider.destroy();

    const { anvilPort, ipc, smuggledInBatch, ...single } = results;
    for (const [name, result] of Object.entries(single)) {
      expect([name, (result.body as { error?: { code: number } })?.error?.code]).toEqual([name, -32601]);
    }
    const batch = smuggledInBatch.body as Array<{ result?: unknown; error?: { code: number } }>;
    expect(batch[0]!.result).toBe('0x539');
    expect(batch[1]!.error?.code).toBe(-32601);
    // anvil itself answers nobody but the node: its TCP port lives in a network namespace of its own.
    if (chain.isolated) expect(anvilPort.failed).toBe('ECONNREFUSED');
    else console.warn('network namespaces are not available here: anvil\'s own port is open to local processes (the node warns at start)');

    const after = createEvmProvider({ rpcUrl: chain.rpcUrl, chainId: chain.chainId });
    expect(await after.getBlockNumber()).toBe(before.block);
    expect(await after.getStorage(AnchorRegistry, 0)).toBe(before.slot0);
    expect(await after.getCode(AnchorRegistry)).toBe(before.code);
    after.destroy();
    expect(await ledger.members.getMember(attacker.address.toLowerCase() as Hex)).toBeNull();
    expect(await ledger.anchors.latestSequence(ledger.anchors.memberId)).toBe(1n);

    // Anchoring was not halted: the node's next anchor is mined at once.
    const record = await ledger.anchors.submitAnchor({ sequence: 2n, root: root(2), leafCount: 1, prevRoot: root(1) });
    expect(record.root).toBe(root(2));
  }, 60_000);

  it('keeps anvil\'s unfiltered IPC socket to the node\'s own user', async () => {
    expect(statSync(chain.ipcPath).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(chain.ipcPath)).mode & 0o777).toBe(0o700);
    if (process.getuid?.() !== 0) {
      console.warn('not root: cannot run the attacker as another user; the socket modes above are what keeps one out');
      return;
    }
    const { ipc } = await attack({}, 65534);
    expect(ipc).toBe('EACCES');
  }, 30_000);

  it('relays a validly signed transaction from anyone: the contracts decide who may do what', async () => {
    const provider = createEvmProvider({ rpcUrl: chain.rpcUrl, chainId: chain.chainId });
    const vote = consortiumRegistryInterface.encodeFunctionData('proposeAddMember', ['intruder', MemberRole.EMERGENCY, attacker.address]);
    const signed = await attacker.signTransaction({
      to: deployed.contracts.ConsortiumRegistry,
      data: vote,
      nonce: 0,
      gasLimit: 500_000,
      gasPrice: 0,
      type: 0,
      chainId: chain.chainId,
    });
    const { sent } = await attack({ sent: { jsonrpc: '2.0', id: 1, method: 'eth_sendRawTransaction', params: [signed] } });
    const hash = (sent.body as { result?: string }).result!;
    expect(hash).toMatch(/^0x[0-9a-f]{64}$/);
    const receipt = await provider.waitForTransaction(hash, 1, 10_000);
    // Mined and reverted: the attacker is no member, so ConsortiumRegistry refuses the proposal.
    expect(receipt?.status).toBe(0);
    provider.destroy();
  }, 30_000);

  it('is what `npm start` runs: dev.json names the filtered endpoint and stderr says dev mode is not for real data', async () => {
    const node = await startNodeProcess({ dataDir: join(dir, 'started') });
    try {
      expect(node.output()).toContain('NOT FOR REAL PATIENT DATA');
      const response = await fetch(node.dev.rpcUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'anvil_impersonateAccount', params: [member.address] }),
      });
      expect(((await response.json()) as { error?: { code: number } }).error?.code).toBe(-32601);
    } finally {
      await node.kill('SIGTERM');
    }
  }, 90_000);
});
