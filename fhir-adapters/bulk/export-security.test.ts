// Issue 12 finding 6: Bulk $export files are PHI at rest. A job belongs to the client that
// started it, its files are sealed (0600 in a 0700 directory), it expires, and erasing a patient
// removes them from exports already written.

import { OperationOutcomeError, unauthorized } from '@medplum/core';
import fastify, { type FastifyInstance } from 'fastify';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Vault } from '../../gateway/store/vault.js';
import { openTestNode, TEST_NODE_TYPES, type TestNode } from '../../test/support/test-store.js';
import { bulkExportRoutes } from './export-server.js';
import { storeExportSource } from './store-export-source.js';
import { openExportStorage } from '../../gateway/store/export-job-store.js';
import { LiveResourceIndex } from '../../gateway/store/live-resource-index.js';

const CLIENTS: Record<string, string> = { 'Bearer token-a': 'client-a', 'Bearer token-b': 'client-b' };
const A = { authorization: 'Bearer token-a' };
const B = { authorization: 'Bearer token-b' };
const RETENTION_SECONDS = 600;

describe('Bulk $export data at rest', () => {
  let dir: string;
  let dataDir: string;
  let node: TestNode;
  let app: FastifyInstance;
  let clock: number;
  const masterKey = randomBytes(32);

  async function startApp(): Promise<void> {
    app = fastify();
    const caller = (request: { headers: { authorization?: string } }): string => {
      const client = CLIENTS[request.headers.authorization ?? ''];
      if (!client) throw new OperationOutcomeError(unauthorized);
      return client;
    };
    await app.register(bulkExportRoutes, {
      prefix: '/fhir',
      service: node.store,
      listAll: storeExportSource(new LiveResourceIndex(node.db), node.store),
      resourceTypes: TEST_NODE_TYPES,
      ...openExportStorage(node.db, masterKey),
      dataDir,
      baseUrl: 'http://127.0.0.1/fhir',
      retryAfterSeconds: 0,
      retentionSeconds: RETENTION_SECONDS,
      now: () => clock,
      authorize: (request) => {
        caller(request);
      },
      identify: caller,
    });
    await app.ready();
  }

  beforeEach(async () => {
    clock = Date.now();
    dir = mkdtempSync(join(tmpdir(), 'careledger-bulk-sec-'));
    dataDir = join(dir, 'data');
    node = openTestNode(join(dir, 'node'), masterKey);
    for (const [id, family] of [['p1', 'Zebediah'], ['p2', 'Quillfeather']]) {
      await node.store.update('Patient', id, { resourceType: 'Patient', id, name: [{ family }], identifier: [{ system: 'urn:ssn', value: `123-45-${id === 'p1' ? '6789' : '9876'}` }] });
      await node.store.update('Observation', `o-${id}`, {
        resourceType: 'Observation',
        id: `o-${id}`,
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
        subject: { reference: `Patient/${id}` },
        valueQuantity: { value: 72, unit: '/min' },
      });
    }
    await startApp();
  });

  afterEach(async () => {
    await app.close();
    node.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function exportAs(headers: Record<string, string>, path = '/fhir/Patient/$export?_type=Patient,Observation'): Promise<string> {
    const kickOff = await app.inject({ method: 'GET', url: path, headers: { ...headers, prefer: 'respond-async' } });
    expect(kickOff.statusCode).toBe(202);
    const statusUrl = new URL(kickOff.headers['content-location'] as string).pathname;
    for (let attempt = 0; attempt < 200; attempt++) {
      const status = await app.inject({ method: 'GET', url: statusUrl, headers });
      if (status.statusCode === 200) return statusUrl;
      expect(status.statusCode).toBe(202);
      await new Promise((done) => setTimeout(done, 10));
    }
    throw new Error('export did not finish');
  }

  async function download(statusUrl: string, headers: Record<string, string>): Promise<string> {
    const manifest = (await app.inject({ method: 'GET', url: statusUrl, headers })).json() as { output: Array<{ url: string }> };
    const bodies = await Promise.all(
      manifest.output.map(async (file) => {
        const response = await app.inject({ method: 'GET', url: new URL(file.url).pathname, headers });
        expect(response.statusCode).toBe(200);
        return response.body;
      }),
    );
    return bodies.join('');
  }

  function jobFiles(): string[] {
    const root = join(dataDir, 'bulk-export');
    return readdirSync(root).flatMap((job) => readdirSync(join(root, job)).map((file) => join(root, job, file)));
  }

  it('answers 404 to another client for the status, the files and DELETE of a job, and keeps the job', async () => {
    const statusUrl = await exportAs(A);
    const manifest = (await app.inject({ method: 'GET', url: statusUrl, headers: A })).json() as { output: Array<{ url: string }> };
    const fileUrl = new URL(manifest.output[0]!.url).pathname;

    expect((await app.inject({ method: 'GET', url: statusUrl, headers: B })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: fileUrl, headers: B })).statusCode).toBe(404);
    expect((await app.inject({ method: 'DELETE', url: statusUrl, headers: B })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: statusUrl })).statusCode).toBe(401);

    expect((await app.inject({ method: 'GET', url: fileUrl, headers: A })).statusCode).toBe(200);
    expect((await app.inject({ method: 'DELETE', url: statusUrl, headers: A })).statusCode).toBe(202);
    expect((await app.inject({ method: 'GET', url: statusUrl, headers: A })).statusCode).toBe(404);
  });

  it('keeps files owner-only and sealed: no name or identifier in the bytes on disk', async () => {
    const statusUrl = await exportAs(A);
    const root = join(dataDir, 'bulk-export');
    expect(statSync(root).mode & 0o777).toBe(0o700);
    for (const job of readdirSync(root)) expect(statSync(join(root, job)).mode & 0o777).toBe(0o700);
    const files = jobFiles();
    expect(files.length).toBe(2);
    for (const file of files) {
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const bytes = readFileSync(file).toString('latin1');
      for (const phi of ['Zebediah', 'Quillfeather', '123-45-6789', 'Patient/p1', '"resourceType"']) expect(bytes).not.toContain(phi);
    }
    // The owner still gets plain NDJSON.
    const text = await download(statusUrl, A);
    expect(text.trim().split('\n').map((line) => (JSON.parse(line) as { id: string }).id).sort()).toEqual(['o-p1', 'o-p2', 'p1', 'p2']);
  });

  it('deletes a finished job and its files once its retention has passed, also across a restart', async () => {
    const first = await exportAs(A);
    clock += (RETENTION_SECONDS - 1) * 1000;
    expect((await app.inject({ method: 'GET', url: first, headers: A })).statusCode).toBe(200);
    clock += 2000;
    expect((await app.inject({ method: 'GET', url: first, headers: A })).statusCode).toBe(404);
    expect(readdirSync(join(dataDir, 'bulk-export'))).toEqual([]);

    // Nobody asks for the second job: the next start sweeps it.
    await exportAs(A);
    expect(readdirSync(join(dataDir, 'bulk-export')).length).toBe(1);
    await app.close();
    clock += (RETENTION_SECONDS + 1) * 1000;
    await startApp();
    expect(readdirSync(join(dataDir, 'bulk-export'))).toEqual([]);
    expect(node.db.prepare('SELECT COUNT(*) AS n FROM bulk_export_jobs').get()).toEqual({ n: 0 });
  });

  it('leaves an erased patient out of exports written before the erasure', async () => {
    const statusUrl = await exportAs(A);
    expect(await download(statusUrl, A)).toContain('Zebediah');
    // What PatientErasure does to the vault: shred the patient's compartment key.
    new Vault(node.db, masterKey).shred('Patient/p1');

    const text = await download(statusUrl, A);
    expect(text).not.toContain('Zebediah');
    expect(text).not.toContain('Patient/p1');
    expect(text.trim().split('\n').map((line) => (JSON.parse(line) as { id: string }).id).sort()).toEqual(['o-p2', 'p2']);
    expect(existsSync(join(dataDir, 'bulk-export'))).toBe(true);
  });
});
