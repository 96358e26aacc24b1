// The embedded dev chain: anvil from the npm package, started and stopped by the node. Chain state
// lives in the node's data dir and survives restarts and crashes (see docs/network.md for the
// persistence experiment this design rests on).
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { HDNodeWallet } from 'ethers';
import type { Hex } from '../gateway/ledger/ports.js';

/** anvil's well-known dev mnemonic: every developer gets the same funded accounts. Dev only. */
export const DEV_MNEMONIC = 'test test test test test test test test test test test junk';
export const DEFAULT_DEV_CHAIN_ID = 1337;

export interface EmbeddedChainOptions {
  /** Directory holding anvil-state.json, anvil.pid and anvil.log. Created if missing. */
  dataDir: string;
  /** RPC port on 127.0.0.1; by default the port of a reused anvil, else a free one. */
  port?: number;
  chainId?: number;
  /** Seconds between state dumps; a kill -9 of anvil loses at most this much history. */
  stateIntervalSeconds?: number;
  accounts?: number;
  startTimeoutMs?: number;
}

export interface DevAccount {
  address: Hex;
  privateKey: Hex;
}

export interface EmbeddedChain {
  rpcUrl: string;
  chainId: number;
  port: number;
  pid: number;
  /** True when an anvil left running by a previous (crashed) node was adopted instead of started. */
  reused: boolean;
  /** Funded dev accounts derived from DEV_MNEMONIC. */
  accounts: DevAccount[];
  /** Stops anvil (it dumps its state on SIGTERM) and removes the pidfile. */
  stop(): Promise<void>;
}

interface PidRecord {
  pid: number;
  port: number;
  chainId: number;
}

const require = createRequire(import.meta.url);

/**
 * The native binary from @foundry-rs/anvil's platform package. node_modules/.bin/anvil is a Node
 * wrapper around it: spawning that would record the wrapper's pid, not anvil's, in the pidfile.
 */
function anvilBinary(): string {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  const pkg = `@foundry-rs/anvil-${process.platform}-${arch}`;
  try {
    return join(dirname(require.resolve(`${pkg}/package.json`)), 'bin', process.platform === 'win32' ? 'anvil.exe' : 'anvil');
  } catch {
    throw new Error(`${pkg} is not installed; anvil has no build for ${process.platform}/${process.arch}`);
  }
}

export async function startEmbeddedChain(options: EmbeddedChainOptions): Promise<EmbeddedChain> {
  const chainId = options.chainId ?? DEFAULT_DEV_CHAIN_ID;
  const accountCount = options.accounts ?? 10;
  mkdirSync(options.dataDir, { recursive: true });
  const pidFile = join(options.dataDir, 'anvil.pid');
  const stateFile = join(options.dataDir, 'anvil-state.json');
  const accounts = devAccounts(accountCount);

  const previous = readPidRecord(pidFile);
  if (previous && isOurAnvil(previous.pid, stateFile)) {
    const sameChain = previous.chainId === chainId && (options.port === undefined || options.port === previous.port);
    if (sameChain && (await rpcChainId(previous.port)) === chainId) {
      return handle(previous.pid, previous.port, chainId, accounts, true, pidFile, null);
    }
    // A stale or differently configured anvil on our state file would fight over it: end it first.
    process.kill(previous.pid, 'SIGTERM');
    await waitForPidExit(previous.pid, 5_000);
  }

  guardStateFile(stateFile);
  // Keep the recorded port when it is still free so rpc urls in chain.json stay valid.
  const port = options.port ?? (previous && (await isFree(previous.port)) ? previous.port : await freePort());
  const args = [
    '--host', '127.0.0.1',
    '--port', String(port),
    '--chain-id', String(chainId),
    '--state', stateFile,
    '--state-interval', String(options.stateIntervalSeconds ?? 1),
    '--mnemonic', DEV_MNEMONIC,
    '--accounts', String(accountCount),
    // Same fork as the pinned solc evmVersion and the Besu genesis, zero gas like Besu's zeroBaseFee.
    '--hardfork', 'london',
    '--gas-price', '0',
    '--base-fee', '0',
  ];
  // anvil's output goes to a file, not a pipe: a pipe would break (and kill anvil with SIGPIPE)
  // when the node dies, and the point of the pidfile is that anvil outlives a crashed node.
  const logFd = openSync(join(options.dataDir, 'anvil.log'), 'a');
  const binary = anvilBinary();
  const child = spawn(binary, args, { stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  if (child.pid === undefined) throw new Error(`could not start ${binary}`);
  try {
    await waitForRpc(port, chainId, exited, options.startTimeoutMs ?? 20_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  const record: PidRecord = { pid: child.pid, port, chainId };
  writeFileSync(`${pidFile}.tmp`, JSON.stringify(record));
  renameSync(`${pidFile}.tmp`, pidFile);
  return handle(child.pid, port, chainId, accounts, false, pidFile, child);
}

function handle(
  pid: number,
  port: number,
  chainId: number,
  accounts: DevAccount[],
  reused: boolean,
  pidFile: string,
  child: ChildProcess | null,
): EmbeddedChain {
  let stopping: Promise<void> | undefined;
  return {
    rpcUrl: `http://127.0.0.1:${port}`,
    chainId,
    port,
    pid,
    reused,
    accounts,
    stop() {
      stopping ??= (async () => {
        if (child) {
          if (child.exitCode === null && child.signalCode === null) {
            const exit = new Promise((resolve) => child.once('exit', resolve));
            child.kill('SIGTERM');
            await exit;
          }
        } else if (isAlive(pid)) {
          process.kill(pid, 'SIGTERM');
          await waitForPidExit(pid, 10_000);
        }
        rmSync(pidFile, { force: true });
      })();
      return stopping;
    },
  };
}

function devAccounts(count: number): DevAccount[] {
  const root = HDNodeWallet.fromPhrase(DEV_MNEMONIC, undefined, "m/44'/60'/0'/0");
  return Array.from({ length: count }, (_, i) => {
    const wallet = root.deriveChild(i);
    return { address: wallet.address.toLowerCase() as Hex, privateKey: wallet.privateKey as Hex };
  });
}

/**
 * anvil writes its state file in place, so a kill -9 during a dump can leave it truncated, and anvil
 * refuses to start from it. Keep the last good dump as a backup and fall back to it.
 */
function guardStateFile(stateFile: string): void {
  const backup = `${stateFile}.bak`;
  if (!existsSync(stateFile)) return;
  if (parses(stateFile)) {
    copyFileSync(stateFile, backup);
  } else if (existsSync(backup) && parses(backup)) {
    copyFileSync(backup, stateFile);
  } else {
    throw new Error(`${stateFile} is corrupt and has no usable backup; delete it to start a fresh dev chain`);
  }
}

function parses(file: string): boolean {
  try {
    JSON.parse(readFileSync(file, 'utf8'));
    return true;
  } catch {
    return false;
  }
}

function readPidRecord(pidFile: string): PidRecord | null {
  try {
    const record = JSON.parse(readFileSync(pidFile, 'utf8')) as PidRecord;
    return Number.isInteger(record.pid) && Number.isInteger(record.port) ? record : null;
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Guards against pid reuse: the pid must still be an anvil serving this data dir's state file. */
function isOurAnvil(pid: number, stateFile: string): boolean {
  if (!isAlive(pid)) return false;
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return argv.some((a) => a.endsWith('anvil')) && argv.includes(stateFile);
  } catch {
    // No procfs (macOS): the pid being alive and answering on the recorded port has to do.
    return true;
  }
}

async function rpcChainId(port: number): Promise<number | null> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      signal: AbortSignal.timeout(1_000),
    });
    const body = (await response.json()) as { result?: string };
    return body.result ? Number(body.result) : null;
  } catch {
    return null;
  }
}

async function waitForRpc(port: number, chainId: number, exited: Promise<number | null>, timeoutMs: number): Promise<void> {
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`anvil exited with code ${exitCode} before serving RPC (see anvil.log)`);
    const id = await rpcChainId(port);
    if (id === chainId) return;
    if (id !== null) throw new Error(`port ${port} serves chain ${id}, not the embedded chain ${chainId}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`anvil did not answer on port ${port} within ${timeoutMs} ms`);
}

async function waitForPidExit(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
