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

export async function startTestNode(env: Record<string, string> = {}): Promise<TestNode> {
  const dataDir = mkdtempSync(join(tmpdir(), 'careledger-node-'));
  const node = await startNode(
    loadConfig({ DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'warn', BATCH_MAX_AGE_MS: '200', ...env }),
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
