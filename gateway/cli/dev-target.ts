// Where CLI commands send requests when the user gives no URL or token: the dev node described
// by <DATA_DIR>/dev.json, with tokens minted through its token endpoint and renewed before
// they expire (access tokens live five minutes; an import can run longer).

import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { refreshDevToken } from '../auth/dev-client.js';
import type { DevFile } from '../dev-file.js';

export function readDevFile(dataDir = process.env.DATA_DIR ?? './data'): DevFile {
  const path = join(resolve(dataDir), 'dev.json');
  if (!existsSync(path)) throw new Error(`${path} not found: start a dev node first (npm start) or pass --url and --token`);
  return JSON.parse(readFileSync(path, 'utf8')) as DevFile;
}

export function tokenSource(options: { token?: string; dataDir?: string }): () => Promise<string> {
  if (options.token) {
    const token = options.token;
    return async () => token;
  }
  const dataDir = resolve(options.dataDir ?? process.env.DATA_DIR ?? './data');
  let cached: { token: string; renewAt: number } | null = null;
  return async () => {
    if (!cached || Date.now() >= cached.renewAt) {
      const fresh = await refreshDevToken(dataDir);
      cached = { token: fresh.accessToken, renewAt: fresh.expiresAt - 60_000 };
    }
    return cached.token;
  };
}
