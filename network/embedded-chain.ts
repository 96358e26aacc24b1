// The embedded dev chain: anvil from the npm package, started and stopped by the node. Chain state
// lives in the node's data dir and survives restarts and crashes (see docs/network.md for the
// persistence experiment this design rests on).
//
// anvil has unlocked accounts and cheat methods (impersonation, storage writes, mining control)
// and no way to authenticate callers or to turn its HTTP listener off. So anvil runs in a network
// namespace of its own, where its HTTP listener is reachable by nobody, and is spoken to only over
// its IPC socket in an owner-only directory. The one TCP endpoint is filtered-rpc-proxy.ts, which
// relays reads and signed transactions. Where the kernel refuses namespaces (macOS, hosts that
// restrict user namespaces) anvil's own port stays open to local processes: `isolated` says so
// and the node warns at start.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { HDNodeWallet } from 'ethers';
import type { Hex } from '../gateway/ledger/ports.js';
import { freePort } from '../gateway/server/free-port.js';
import { startFilteredRpcProxy, type FilteredRpcProxy } from './filtered-rpc-proxy.js';
import { ipcChainId } from './ipc-rpc.js';

/** anvil's well-known dev mnemonic: every developer gets the same funded accounts. Dev only. */
const DEV_MNEMONIC = 'test test test test test test test test test test test junk';
const DEFAULT_DEV_CHAIN_ID = 1337;

export interface EmbeddedChainOptions {
  /** Directory holding anvil-state.json, anvil.pid and anvil.log. Created if missing. */
  dataDir: string;
  /** Port of the filtered RPC endpoint on 127.0.0.1; by default the recorded one if free, else a free one. */
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
  /** The filtered endpoint: reads and signed transactions only. */
  rpcUrl: string;
  chainId: number;
  port: number;
  pid: number;
  /** anvil's unfiltered IPC socket, owner-only; tests that need anvil's cheats reach it here. */
  ipcPath: string;
  /** False when anvil's own HTTP port is reachable by local processes (no network namespace). */
  isolated: boolean;
  /** True when an anvil left running by a previous (crashed) node was adopted instead of started. */
  reused: boolean;
  /** Funded dev accounts derived from DEV_MNEMONIC. */
  accounts: DevAccount[];
  /** Stops anvil (it dumps its state on SIGTERM) and removes the pidfile. */
  stop(): Promise<void>;
}

interface PidRecord {
  pid: number;
  /** Port of the filtered endpoint, kept across restarts so rpc urls in chain.json stay valid. */
  port: number;
  chainId: number;
  /** Absent in pidfiles of versions that served anvil's port directly; such an anvil is replaced. */
  ipcPath?: string;
  isolated: boolean;
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
    const ipcPath = previous.ipcPath;
    if (sameChain && ipcPath && (await ipcChainId(ipcPath)) === chainId) {
      const proxy = await startFilteredRpcProxy({ ipcPath, port: (await isFree(previous.port)) ? previous.port : 0 });
      const adopted = { ...previous, ipcPath, port: proxy.port };
      writePidRecord(pidFile, adopted);
      return handle(adopted, accounts, true, pidFile, null, proxy);
    }
    // A stale or differently configured anvil on our state file would fight over it: end it first.
    process.kill(previous.pid, 'SIGTERM');
    await waitForPidExit(previous.pid, 5_000);
  }

  guardStateFile(stateFile);
  // Keep the recorded port when it is still free so rpc urls in chain.json stay valid.
  const port = options.port ?? (previous && (await isFree(previous.port)) ? previous.port : 0);
  const ipcPath = join(ipcDirectory(options.dataDir), 'anvil.ipc');
  rmSync(ipcPath, { force: true });
  const isolation = namespaceCommand();
  const args = [
    // Inside its own network namespace nobody else can reach this port; without one it is at least
    // a port no other careledger process expects.
    '--host', '127.0.0.1',
    '--port', String(isolation ? 8545 : await freePort()),
    '--ipc', ipcPath,
    '--no-cors',
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
  // unshare execs anvil in place, so the child's pid is anvil's.
  const command = isolation ? [...isolation, binary] : [binary];
  const child = spawn(command[0]!, [...command.slice(1), ...args], { stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  if (child.pid === undefined) throw new Error(`could not start ${binary}`);
  let proxy: FilteredRpcProxy | undefined;
  try {
    await waitForRpc(ipcPath, chainId, exited, options.startTimeoutMs ?? 20_000);
    chmodSync(ipcPath, 0o600);
    proxy = await startFilteredRpcProxy({ ipcPath, port });
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  const record = { pid: child.pid, port: proxy.port, chainId, ipcPath, isolated: isolation !== null };
  writePidRecord(pidFile, record);
  return handle(record, accounts, false, pidFile, child, proxy);
}

function handle(
  record: PidRecord & { ipcPath: string },
  accounts: DevAccount[],
  reused: boolean,
  pidFile: string,
  child: ChildProcess | null,
  proxy: FilteredRpcProxy,
): EmbeddedChain {
  const { pid, port, chainId, ipcPath, isolated } = record;
  let stopping: Promise<void> | undefined;
  return {
    rpcUrl: proxy.url,
    chainId,
    port,
    pid,
    ipcPath,
    isolated,
    reused,
    accounts,
    stop() {
      stopping ??= (async () => {
        await proxy.close();
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

/**
 * The command prefix that starts anvil in a network namespace of its own, or null when this host
 * cannot (not Linux, no unshare, or user namespaces disabled). Probed once per process.
 */
let namespacePrefix: string[] | null | undefined;
function namespaceCommand(): string[] | null {
  if (namespacePrefix !== undefined) return namespacePrefix;
  const prefix = ['unshare', '--user', '--map-root-user', '--net', '--'];
  namespacePrefix = process.platform === 'linux' && spawnSync(prefix[0]!, [...prefix.slice(1), 'true'], { stdio: 'ignore' }).status === 0 ? prefix : null;
  return namespacePrefix;
}

/**
 * An owner-only directory for the IPC socket: the socket is the unfiltered chain, so only this
 * user may open it. Unix socket paths are limited to about 100 bytes; a deep data dir gets a
 * private directory under the system temp dir instead.
 */
function ipcDirectory(dataDir: string): string {
  const inDataDir = join(dataDir, 'rpc');
  const dir = join(inDataDir, 'anvil.ipc').length < 100 ? inDataDir : mkdtempSync(join(tmpdir(), 'careledger-rpc-'));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  return dir;
}

function writePidRecord(pidFile: string, record: PidRecord): void {
  writeFileSync(`${pidFile}.tmp`, JSON.stringify(record));
  renameSync(`${pidFile}.tmp`, pidFile);
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

async function waitForRpc(ipcPath: string, chainId: number, exited: Promise<number | null>, timeoutMs: number): Promise<void> {
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`anvil exited with code ${exitCode} before serving RPC (see anvil.log)`);
    const id = existsSync(ipcPath) ? await ipcChainId(ipcPath) : null;
    if (id === chainId) return;
    if (id !== null) throw new Error(`${ipcPath} serves chain ${id}, not the embedded chain ${chainId}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`anvil did not answer on ${ipcPath} within ${timeoutMs} ms`);
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
