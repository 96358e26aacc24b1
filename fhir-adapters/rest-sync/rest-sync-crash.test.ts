import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { exportJWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedDigests } from '../../test/support/ehr/ehr-expectations.js';
import { startMedplumEhr, type MedplumEhr } from '../../test/support/ehr/medplum-ehr.js';
import { r4Observation, r4Patient } from '../../test/support/r4-samples.js';
import { currentDigests, journalCount, openTestNode } from '../../test/support/test-store.js';

const TYPES = ['Patient', 'Observation'];
const WORKER = resolve(import.meta.dirname, '../../test/support/rest-sync-worker.ts');

describe('REST sync survives kill -9 of the node process', () => {
  let ehr: MedplumEhr;
  let dir: string;
  const masterKey = randomBytes(32);
  let workerEnv: NodeJS.ProcessEnv;

  beforeAll(async () => {
    ehr = await startMedplumEhr();
    dir = mkdtempSync(join(tmpdir(), 'careledger-rest-crash-'));
    for (let i = 0; i < 1000; i++) {
      await ehr.repo.createResource(r4Patient(`p${i}`));
      await ehr.repo.createResource(r4Observation(`o${i}`, `p${i}`, 50 + (i % 90)));
    }
    workerEnv = {
      ...process.env,
      SYNC_NODE_DIR: dir,
      SYNC_MASTER_KEY: masterKey.toString('hex'),
      SYNC_EHR_BASE: ehr.baseUrl,
      SYNC_TYPES: TYPES.join(','),
      SYNC_PAGE_SIZE: '100',
      SYNC_CLIENT: JSON.stringify({ ...ehr.client, privateKey: undefined, jwk: await exportJWK(ehr.client.privateKey) }),
    };
  });
  afterAll(async () => {
    await ehr.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function startWorker(): { child: ChildProcess; exited: Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> } {
    // node itself, not the tsx launcher: SIGKILL must hit the process that writes the database.
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER], { env: workerEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk) => (stdout += chunk));
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>((done) =>
      child.on('exit', (code, signal) => done({ code, signal, stdout, stderr })),
    );
    return { child, exited };
  }

  function journalRows(): number {
    try {
      const db = new Database(join(dir, 'node.db'), { readonly: true, fileMustExist: true });
      try {
        return (db.prepare('SELECT COUNT(*) AS n FROM journal').get() as { n: number }).n;
      } finally {
        db.close();
      }
    } catch {
      return 0;
    }
  }

  it('loses nothing and journals nothing twice across a kill and restarts', async () => {
    const first = startWorker();
    const deadline = Date.now() + 30_000;
    while (journalRows() < 300) {
      if (Date.now() > deadline) throw new Error(`the worker did not get going: ${(await Promise.race([first.exited, Promise.resolve(undefined)]))?.stderr ?? ''}`);
      await new Promise((done) => setTimeout(done, 5));
    }
    first.child.kill('SIGKILL');
    const killed = await first.exited;
    expect(killed.signal).toBe('SIGKILL');
    const atKill = journalRows();
    expect(atKill).toBeLessThan(2000);

    const second = await startWorker().exited;
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);

    let node = openTestNode(dir, masterKey);
    expect(currentDigests(node.db)).toEqual(await expectedDigests(ehr.repo, TYPES));
    expect(journalCount(node.db)).toBe(2000);
    node.close();

    for (let i = 0; i < 50; i++) await ehr.repo.updateResource(r4Observation(`o${i}`, `p${i}`, 200 + i));
    for (let i = 990; i < 1000; i++) await ehr.repo.deleteResource('Observation', `o${i}`);
    const third = await startWorker().exited;
    expect(third.code).toBe(0);
    node = openTestNode(dir, masterKey);
    expect(currentDigests(node.db)).toEqual(await expectedDigests(ehr.repo, TYPES));
    expect(journalCount(node.db)).toBe(2000 + 50 + 10);
    const distinct = node.db.prepare('SELECT COUNT(*) AS n FROM (SELECT DISTINCT type, id, version_id FROM journal)').get() as { n: number };
    expect(distinct.n).toBe(2060);
    node.close();
    console.info(`killed with ${atKill} of 2000 journaled; restart completed the rest`);
  });
});
