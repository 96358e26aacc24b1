// A real careledger node in a child process, for the tests that must kill it (kill -9 means
// a separate process) or run it exactly as `npm start` does.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { NODE_FLAGS } from '../../gateway/cli/node-flags.js';
import { freePort } from '../../gateway/server/free-port.js';
import type { DevFile } from '../../gateway/dev-file.js';

const ROOT = resolve(import.meta.dirname, '../..');

export interface NodeProcess {
  child: ChildProcess;
  port: number;
  baseUrl: string;
  dev: DevFile;
  output: () => string;
  /** Sends a signal and waits for the process to exit. */
  kill(signal: NodeJS.Signals): Promise<void>;
}

export async function startNodeProcess(options: {
  dataDir: string;
  port?: number;
  env?: Record<string, string>;
  /** Extra node flags, e.g. --cpu-prof for a profile of the node under load. */
  nodeArgs?: string[];
  timeoutMs?: number;
}): Promise<NodeProcess> {
  const port = options.port ?? (await freePort());
  const devPath = join(options.dataDir, 'dev.json');
  const startedAt = Date.now();
  // Run node directly (not through npm or the bin wrapper) so the pid we kill is the node itself.
  const child = spawn(process.execPath, [...NODE_FLAGS, ...(options.nodeArgs ?? []), '--import', 'tsx', join(ROOT, 'gateway/cli/main.ts'), 'start'], {
    cwd: ROOT,
    env: { ...process.env, DATA_DIR: options.dataDir, PORT: String(port), LOG_LEVEL: 'warn', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));

  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = startedAt + (options.timeoutMs ?? 60_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`node exited with ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`node did not come up within the timeout:\n${output}`);
    }
    try {
      const health = await fetch(`${baseUrl}/health`);
      if (health.status < 500 && existsSync(devPath) && statAfter(devPath, startedAt)) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const dev = JSON.parse(readFileSync(devPath, 'utf8')) as DevFile;
  return {
    child,
    port,
    baseUrl,
    dev,
    output: () => output,
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

function statAfter(path: string, since: number): boolean {
  try {
    const dev = JSON.parse(readFileSync(path, 'utf8')) as DevFile;
    return Date.parse(dev.tokenExpiresAt) - 300_000 >= since - 1000;
  } catch {
    return false;
  }
}
