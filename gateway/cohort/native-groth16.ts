// Groth16 proofs from circuits/native-prover, a C prover run as a sidecar process that reads the
// zkey once and then proves one .wtns witness per request (protocol: top of groth16.c). The binary
// is built on first use with the machine's C compiler into node_modules/.cache, keyed by the
// sources, compiler version and CPU, since it is compiled with -march=native.

import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { access, constants, mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { arch, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Groth16Result } from './groth16-result.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SOURCE_DIR = join(ROOT, 'circuits', 'native-prover');
const CACHE_DIR = join(ROOT, 'node_modules', '.cache', 'careledger', 'native-prover');
const BINARY_NAME = 'careledger-groth16';
const CFLAGS = ['-O3', '-march=native', '-pthread'];
const COMPILERS = ['cc', 'gcc', 'clang'];
/** How long close() waits for the sidecar to exit after its input ends before killing it. */
const EXIT_GRACE_MS = 5_000;

/** What the sidecar reports once the zkey is loaded. */
export interface NativeProverInfo {
  nVars: number;
  nPublic: number;
  domainSize: number;
  threads: number;
}

export interface NativeProverOptions {
  /** Threads per proof; default: every online core. */
  threads?: number;
}

interface Compiler {
  command: string;
  version: string;
}

function run(command: string, args: string[], cwd?: string): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(Object.assign(error, { stderr }));
      else resolve({ stdout, stderr });
    });
  });
}

let compilerLookup: Promise<Compiler | undefined> | undefined;

function findCompiler(): Promise<Compiler | undefined> {
  compilerLookup ??= (async () => {
    for (const command of process.env.CC ? [process.env.CC] : COMPILERS) {
      try {
        const { stdout } = await run(command, ['--version']);
        return { command, version: stdout.trim() };
      } catch {
        // not installed under this name: try the next one
      }
    }
    return undefined;
  })();
  return compilerLookup;
}

/** Why the native prover cannot be built here, or undefined when a C compiler is available. */
export async function nativeProverUnavailableReason(): Promise<string | undefined> {
  if (await findCompiler()) return undefined;
  return process.env.CC ? `the C compiler in CC (${process.env.CC}) does not run` : `no C compiler (${COMPILERS.join(', ')}) on PATH`;
}

let build: Promise<string> | undefined;

/**
 * Path of the prover binary, compiled if this source/compiler/CPU combination has not been built
 * yet. Concurrent builds (other processes) each compile to a private file and rename it into place.
 */
export function nativeProverBinary(): Promise<string> {
  build ??= buildBinary();
  build.catch(() => {
    build = undefined;
  });
  return build;
}

async function buildBinary(): Promise<string> {
  const compiler = await findCompiler();
  if (!compiler) throw new Error(`native Groth16 prover: ${await nativeProverUnavailableReason()}`);
  const names = (await readdir(SOURCE_DIR)).filter((name) => name.endsWith('.c') || name.endsWith('.h')).sort();
  const hash = createHash('sha256').update(JSON.stringify([compiler.command, compiler.version, CFLAGS, arch(), cpus()[0]?.model ?? '']));
  for (const name of names) hash.update(`\0${name}\0`).update(await readFile(join(SOURCE_DIR, name)));
  const dir = join(CACHE_DIR, hash.digest('hex').slice(0, 24));
  const binary = join(dir, BINARY_NAME);
  try {
    await access(binary, constants.X_OK);
    return binary;
  } catch {
    // not built yet
  }
  await mkdir(dir, { recursive: true });
  const partial = join(dir, `.${BINARY_NAME}.${process.pid}.${randomBytes(4).toString('hex')}`);
  try {
    const sources = names.filter((name) => name.endsWith('.c'));
    await run(compiler.command, [...CFLAGS, '-o', partial, ...sources], SOURCE_DIR);
    await rename(partial, binary);
  } catch (error) {
    await rm(partial, { force: true });
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(`native Groth16 prover: building with ${compiler.command} failed: ${stderr || (error as Error).message}`);
  }
  return binary;
}

interface Request {
  wtns: Uint8Array;
  resolve(result: Groth16Result): void;
  reject(error: Error): void;
}

type Reply = { ready: true } & NativeProverInfo | { error: string } | Groth16Result;

/**
 * One sidecar process for one zkey. Proofs are queued and sent one at a time (each uses the
 * sidecar's threads, by default every core); answers come back in order. A crashed sidecar rejects the proof in progress and all
 * queued ones; later calls reject at once. While idle the sidecar does not keep Node running.
 */
export class NativeGroth16Prover {
  private readonly queue: Request[] = [];
  private current: Request | undefined;
  private stdoutBuffer = '';
  private stderrTail = '';
  private failure: Error | undefined;
  private closing = false;
  private readonly exited: Promise<void>;
  private readonly drainWaiters: (() => void)[] = [];
  /** Set until the sidecar's first line (or its death) settles start(). */
  private onReady: ((reply: Reply | Error) => void) | undefined;
  /** Known once start() has resolved. */
  info!: NativeProverInfo;

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly zkeyPath: string,
  ) {
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => this.onStdout(chunk));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-2000);
    });
    // EPIPE after a crash: the exit handler reports it
    child.stdin.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      child.on('error', (error) => {
        this.fail(new Error(`native Groth16 prover for ${zkeyPath}: ${error.message}`));
        resolve();
      });
      // 'close' rather than 'exit': by then stdout and stderr are fully read
      child.on('close', (code, signal) => {
        const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        const stderr = this.stderrTail.trim();
        this.fail(new Error(`native Groth16 prover for ${zkeyPath} ${how}${stderr ? `: ${stderr}` : ''}`));
        resolve();
      });
    });
  }

  /** Builds the binary if needed, starts the sidecar and waits until it has loaded and checked the zkey. */
  static async start(zkeyPath: string, options: NativeProverOptions = {}): Promise<NativeGroth16Prover> {
    if (options.threads !== undefined && (!Number.isInteger(options.threads) || options.threads < 1)) {
      throw new RangeError(`the native prover needs at least 1 thread, got ${options.threads}`);
    }
    const binary = await nativeProverBinary();
    const args = options.threads === undefined ? [zkeyPath] : ['--threads', String(options.threads), zkeyPath];
    const prover = new NativeGroth16Prover(spawn(binary, args, { stdio: 'pipe' }), zkeyPath);
    await prover.ready();
    prover.setActive(false);
    return prover;
  }

  /** False once the sidecar died or close() was called: every later proof would be refused. */
  get alive(): boolean {
    return !this.closing && this.failure === undefined;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** A proof for the circuit's witness (.wtns bytes), rejected with the sidecar's reason if unusable. */
  prove(wtns: Uint8Array): Promise<Groth16Result> {
    if (this.closing) return Promise.reject(new Error('native Groth16 prover is closed'));
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.queue.push({ wtns, resolve, reject });
      this.pump();
    });
  }

  /** Lets queued proofs finish, then stops the sidecar. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.current || this.queue.length > 0) await new Promise<void>((resolve) => this.drainWaiters.push(resolve));
    if (!this.failure) {
      this.setActive(true);
      this.child.stdin.end();
      const timer = setTimeout(() => this.child.kill('SIGKILL'), EXIT_GRACE_MS);
      await this.exited;
      clearTimeout(timer);
    }
  }

  private ready(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.onReady = (reply) => {
        this.onReady = undefined;
        if (reply instanceof Error) return reject(reply);
        if ('ready' in reply) {
          const { nVars, nPublic, domainSize, threads } = reply;
          this.info = { nVars, nPublic, domainSize, threads };
          return resolve();
        }
        const reason = 'error' in reply ? reply.error : 'unexpected first line';
        this.child.kill();
        reject(new Error(`native Groth16 prover could not load ${this.zkeyPath}: ${reason}`));
      };
    });
  }

  private pump(): void {
    if (this.current || this.failure) return;
    const next = this.queue.shift();
    if (!next) {
      this.setActive(false);
      for (const waiter of this.drainWaiters.splice(0)) waiter();
      return;
    }
    this.current = next;
    this.setActive(true);
    const header = Buffer.alloc(4);
    header.writeUInt32LE(next.wtns.byteLength);
    this.child.stdin.write(header);
    this.child.stdin.write(next.wtns);
  }

  private onStdout(chunk: string): void {
    this.stdoutBuffer += chunk;
    let newline: number;
    while ((newline = this.stdoutBuffer.indexOf('\n')) >= 0) {
      const line = this.stdoutBuffer.slice(0, newline);
      this.stdoutBuffer = this.stdoutBuffer.slice(newline + 1);
      this.onLine(line);
    }
  }

  private onLine(line: string): void {
    let reply: Reply;
    try {
      reply = JSON.parse(line) as Reply;
    } catch {
      this.abort(`unreadable output line: ${line.slice(0, 200)}`);
      return;
    }
    if (this.onReady) return this.onReady(reply);
    const request = this.current;
    if (!request) return this.abort(`output without a request: ${line.slice(0, 200)}`);
    this.current = undefined;
    if ('error' in reply) request.reject(new Error(`native Groth16 prover: ${reply.error}`));
    else if ('proof' in reply) request.resolve({ proof: reply.proof, publicSignals: reply.publicSignals });
    else request.reject(new Error(`native Groth16 prover: unexpected reply ${line.slice(0, 200)}`));
    this.pump();
  }

  private abort(reason: string): void {
    this.fail(new Error(`native Groth16 prover for ${this.zkeyPath}: ${reason}`));
    this.child.kill();
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    const pending = [...(this.current ? [this.current] : []), ...this.queue.splice(0)];
    this.current = undefined;
    for (const request of pending) request.reject(error);
    for (const waiter of this.drainWaiters.splice(0)) waiter();
    this.onReady?.(error);
  }

  /** A busy sidecar keeps the event loop alive; an idle one does not. */
  private setActive(active: boolean): void {
    const handles = [this.child, this.child.stdin, this.child.stdout, this.child.stderr] as { ref(): void; unref(): void }[];
    for (const handle of handles) {
      if (active) handle.ref();
      else handle.unref();
    }
  }
}
