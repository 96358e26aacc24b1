// What a newcomer does: `npm start` on a fresh data directory serves /fhir/metadata within 30 s
// and writes dev.json with a token that works.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../gateway/server/free-port.js';

const ROOT = resolve(import.meta.dirname, '..');

describe('npm start', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'careledger-start-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('serves /fhir/metadata within 30 s and writes dev.json', async () => {
    const port = await freePort();
    const started = Date.now();
    // detached: npm runs the node in a child process; signalling the group stops both.
    const child = spawn('npm', ['start', '--silent'], {
      cwd: ROOT,
      env: { ...process.env, PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
      stdio: 'ignore',
      detached: true,
    });
    try {
      let metadata: Response | undefined;
      while (Date.now() - started < 30_000) {
        try {
          metadata = await fetch(`http://127.0.0.1:${port}/fhir/metadata`);
          if (metadata.ok && existsSync(join(dataDir, 'dev.json'))) break;
        } catch {
          // not listening yet
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      const elapsed = Date.now() - started;
      expect(metadata?.status).toBe(200);
      const capability = (await metadata!.json()) as { resourceType: string; fhirVersion: string };
      expect(capability).toMatchObject({ resourceType: 'CapabilityStatement', fhirVersion: '5.0.0' });
      expect(elapsed).toBeLessThan(30_000);
      const dev = JSON.parse(readFileSync(join(dataDir, 'dev.json'), 'utf8')) as { token: string; fhirBase: string; rpcUrl: string; chainId: number; contracts: Record<string, string> };
      expect(dev).toMatchObject({ fhirBase: `http://127.0.0.1:${port}/fhir`, chainId: 1337 });
      expect(Object.keys(dev.contracts)).toEqual(expect.arrayContaining(['ConsortiumRegistry', 'AnchorRegistry']));
      const search = await fetch(`${dev.fhirBase}/Patient?_summary=count`, { headers: { authorization: `Bearer ${dev.token}` } });
      expect(search.status).toBe(200);
      console.log(`npm start: /fhir/metadata answered after ${elapsed} ms`);
    } finally {
      process.kill(-child.pid!, 'SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  }, 60_000);
});
