// Issue 12 finding 13: ids made only of dots. FHIR's id pattern [A-Za-z0-9\-.]{1,64} admits `.`
// and `..`, which every URL resolver reads as "this" and "parent" path segments: a resource
// stored as Patient/.. has a Location, references and links that point somewhere else. Refused
// where ids enter: the store (every write, from every adapter) and the FHIR URLs. URLs go over a
// real socket: an HTTP client library would resolve the dots before sending, an attacker's does not.

import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { journalCount, openTestNode, type TestNode } from './support/test-store.js';
import { buildTestApp, type TestApp } from './support/fhir-test-app.js';

const DOT_IDS = ['.', '..', '...'];

describe('ids made only of dots', () => {
  let dir: string;
  let node: TestNode;
  let http: TestApp;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'careledger-ids-'));
    node = openTestNode(dir, Buffer.alloc(32, 3));
    http = await buildTestApp();
    await http.app.listen({ port: 0, host: '127.0.0.1' });
  });

  afterEach(async () => {
    await http.app.close();
    node.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(DOT_IDS)('the store refuses to create or update %j and stores nothing', async (id) => {
    await expect(node.store.update('Patient', id, { resourceType: 'Patient', id })).rejects.toMatchObject({
      outcome: { issue: [{ severity: 'error', code: 'invalid' }] },
    });
    const batch = await node.store.submit([{ resource: { resourceType: 'Patient', id } }], { source: 'test' });
    expect(JSON.stringify(batch)).toMatch(/invalid resource id/);
    expect(journalCount(node.db)).toBe(0);
  });

  it('the store still takes ids that contain dots among other characters', async () => {
    for (const id of ['a.b', '.a', 'a..', '1.2.840']) await node.store.update('Patient', id, { resourceType: 'Patient', id });
    expect(journalCount(node.db)).toBe(4);
  });

  function send(method: string, path: string, body?: string): Promise<number> {
    const { port } = http.app.server.address() as AddressInfo;
    return new Promise((done, fail) => {
      const outgoing = request({ host: '127.0.0.1', port, path, method, headers: { 'content-type': 'application/fhir+json' } }, (response) => {
        response.resume();
        done(response.statusCode ?? 0);
      });
      outgoing.on('error', fail);
      outgoing.end(body);
    });
  }

  it.each(DOT_IDS)('the FHIR API answers 400 to %j in a URL and stores nothing', async (id) => {
    for (const [method, path] of [
      ['GET', `/fhir/Patient/${id}`],
      ['PUT', `/fhir/Patient/${id}`],
      ['DELETE', `/fhir/Patient/${id}`],
      ['GET', `/fhir/Patient/${id}/_history`],
      ['GET', `/fhir/Patient/p1/_history/${id}`],
      ['PUT', `/fhir/R4/Patient/${id}`],
    ] as const) {
      const status = await send(method, path, method === 'PUT' ? JSON.stringify({ resourceType: 'Patient', id }) : undefined);
      expect([method, path, status]).toEqual([method, path, 400]);
    }
    expect(await send('GET', '/fhir/Patient')).toBe(200);
    expect((await http.service.search({ type: 'Patient', params: [], count: 10, offset: 0, summaryCount: true })).total).toBe(0);
  });
});
