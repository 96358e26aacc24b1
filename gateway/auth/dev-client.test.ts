import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { chmodSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freePort } from '../server/free-port.js';
import { buildTestApp, PUBLIC_BASE_URL, tempDatabase, TestClock, type TempDatabase } from '../../test/support/auth-fixture.js';
import { openAuthStores } from '../store/auth-stores.js';
import { DEV_CLIENT_ID, ensureDevClient, refreshDevToken } from './dev-client.js';
import type { Db } from '../store/database.js';

// Asynchronous: the node under test answers from this same process.
async function devTokenCommand(dataDir: string): Promise<{ status: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'gateway/cli/main.ts', 'token'], {
      env: { ...process.env, DATA_DIR: dataDir },
    });
    return { status: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { status: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('dev client', () => {
  let temp: TempDatabase;
  let db: Db;
  let dataDir: string;
  const clock = new TestClock();

  beforeEach(() => {
    temp = tempDatabase();
    db = temp.open();
    dataDir = join(temp.dir, 'data');
  });

  afterEach(() => {
    db.close();
    temp.remove();
  });

  it('registers a client with an owner-only key and mints a five-minute token the API accepts', async () => {
    const credentials = await ensureDevClient(openAuthStores(db), dataDir, { publicBaseUrl: PUBLIC_BASE_URL, now: clock.now });
    expect(credentials).toMatchObject({
      devOnly: true,
      clientId: DEV_CLIENT_ID,
      tokenUrl: `${PUBLIC_BASE_URL}/auth/token`,
      alg: 'ES384',
      scope: 'system/*.cruds system/Patient.$erase system/Patient.$link-wallet system/Patient.$break-glass',
      privateKeyPath: join(dataDir, 'dev-client-es384.pem'),
      expiresAt: new Date(clock.ms + 300_000).toISOString(),
      refreshCommand: `DATA_DIR=${dataDir} npx careledger token`,
    });
    expect(statSync(credentials.privateKeyPath).mode & 0o777).toBe(0o600);
    expect(readFileSync(credentials.privateKeyPath, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(JSON.parse(readFileSync(join(dataDir, 'dev-client.json'), 'utf8'))).not.toHaveProperty('accessToken');

    const app = await buildTestApp(db, clock);
    const response = await app.inject({
      method: 'DELETE',
      url: '/fhir/Patient/1',
      headers: { authorization: `Bearer ${credentials.accessToken}` },
    });
    expect(response.statusCode).toBe(200);
    await app.close();
  });

  it('keeps its key and registration across starts, and tightens loose key permissions', async () => {
    const first = await ensureDevClient(openAuthStores(db), dataDir, { publicBaseUrl: PUBLIC_BASE_URL, now: clock.now });
    const key = readFileSync(first.privateKeyPath, 'utf8');
    chmodSync(first.privateKeyPath, 0o644);
    const second = await ensureDevClient(openAuthStores(db), dataDir, { publicBaseUrl: PUBLIC_BASE_URL, now: clock.now });
    expect(second.kid).toBe(first.kid);
    expect(second.accessToken).not.toBe(first.accessToken);
    expect(readFileSync(second.privateKeyPath, 'utf8')).toBe(key);
    expect(statSync(second.privateKeyPath).mode & 0o777).toBe(0o600);

    // Both tokens stay valid: a restart with the same key does not revoke the earlier one.
    const app = await buildTestApp(db, clock);
    for (const token of [first.accessToken, second.accessToken]) {
      const response = await app.inject({ method: 'GET', url: '/fhir/Patient/1', headers: { authorization: `Bearer ${token}` } });
      expect(response.statusCode).toBe(200);
    }
    await app.close();
  });

  it('refreshes the token from the running node, in-process and from the command line', async () => {
    const baseUrl = `http://127.0.0.1:${await freePort()}`;
    await ensureDevClient(openAuthStores(db), dataDir, { publicBaseUrl: baseUrl });
    const app = await buildTestApp(db, new TestClock(Date.now()), baseUrl);
    await app.listen({ host: '127.0.0.1', port: Number(new URL(baseUrl).port) });
    try {
      const refreshed = await refreshDevToken(dataDir);
      expect(refreshed.scope).toBe('system/*.cruds system/Patient.$erase system/Patient.$link-wallet system/Patient.$break-glass');

      const command = await devTokenCommand(dataDir);
      expect(command.stderr).toBe('');
      const token = command.stdout.trim();
      expect(token).toMatch(/^clat_/);
      const read = await fetch(`${baseUrl}/fhir/Patient/1`, { headers: { authorization: `Bearer ${token}` } });
      expect(read.status).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('says what to do when dev mode has not run', async () => {
    await expect(refreshDevToken(dataDir)).rejects.toThrow(/dev-client.json not found: start the node in dev mode first/);
    const command = await devTokenCommand(dataDir);
    expect(command.status).toBe(1);
    expect(command.stderr).toMatch(/^careledger: .*not found/);
  });
});
