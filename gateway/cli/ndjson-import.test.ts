import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importNdjson } from './ndjson-import.js';

// A stand-in FHIR endpoint on loopback: records each batch Bundle and answers 201 per entry.
describe('importNdjson', () => {
  let dir: string;
  let server: Server;
  let base: string;
  const bundles: Array<{ type: string; entry: Array<{ resource: Record<string, unknown>; request: { method: string; url: string } }> }> = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'careledger-import-'));
    server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        const bundle = JSON.parse(body) as (typeof bundles)[number];
        bundles.push(bundle);
        res.setHeader('content-type', 'application/fhir+json');
        res.end(JSON.stringify({ resourceType: 'Bundle', type: 'batch-response', entry: bundle.entry.map(() => ({ response: { status: '201 Created' } })) }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/fhir/R4`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends each resource line verbatim in batch Bundles, PUT with an id and POST without, and skips what is not a resource', async () => {
    const file = join(dir, 'Mixed.ndjson');
    const patient = '{"resourceType":"Patient","id":"p1","name":[{"family":"O\'Brien \\"Junior\\"","given":["\\u00e9"]}]}';
    writeFileSync(
      file,
      [
        patient,
        '',
        '{"resourceType":"Observation","status":"final","code":{"text":"x"}}',
        'not json',
        '{"outcome":"a log line, not a resource"}',
        '  {"resourceType":"Encounter","id":"e1","status":"finished"}  \r',
        '{"resourceType":"Patient","id":"p2"}',
      ].join('\n') + '\n',
    );
    bundles.length = 0;
    const summary = await importNdjson([file], { fhirBase: base, token: async () => 't' }, { bundleSize: 2, concurrency: 2 });
    expect(summary).toMatchObject({ sent: 4, created: 4, skipped: 1, failed: 1 });
    expect(summary.failures[0]).toMatchObject({ line: 4, status: 'invalid-json' });
    const entries = bundles.flatMap((bundle) => bundle.entry);
    expect(bundles.every((bundle) => bundle.type === 'batch')).toBe(true);
    expect(entries.map((entry) => entry.request)).toEqual([
      { method: 'PUT', url: 'Patient/p1' },
      { method: 'POST', url: 'Observation' },
      { method: 'PUT', url: 'Encounter/e1' },
      { method: 'PUT', url: 'Patient/p2' },
    ]);
    expect(entries[0]!.resource).toEqual(JSON.parse(patient));
  });
});
