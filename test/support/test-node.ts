// An in-process node on a temp data directory with its own embedded chain: the real thing,
// only without a separate process (tests that need kill -9 use node-process.ts).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../gateway/config.js';
import { startNode, type RunningNode } from '../../gateway/node.js';

export interface TestNode extends RunningNode {
  dataDir: string;
  token: string;
  baseUrl: string;
  dispose(): Promise<void>;
}

/** `env.DATA_DIR` reuses a directory (a restart after close()); otherwise a fresh one is made. */
export async function startTestNode(env: Record<string, string> = {}): Promise<TestNode> {
  const dataDir = env.DATA_DIR ?? mkdtempSync(join(tmpdir(), 'careledger-node-'));
  const node = await startNode(
    loadConfig({ PORT: '0', LOG_LEVEL: 'warn', BATCH_MAX_AGE_MS: '200', ...env, DATA_DIR: dataDir }),
  );
  const dev = JSON.parse((await import('node:fs')).readFileSync(node.devFile!, 'utf8')) as { token: string };
  return {
    ...node,
    dataDir,
    token: dev.token,
    baseUrl: node.config.publicUrl,
    async dispose() {
      await node.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
