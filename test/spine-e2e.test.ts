// The spine from a client's and a payer's side: an R4 Patient in, R5 out, a receipt within
// 5 s, `careledger verify` valid, and invalid, naming the failed check, for any change to a
// clinical value or to any field of the receipt.

import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNode, type TestNode } from './support/test-node.js';
import { syntheticR4 } from './support/synthetic-fhir.js';

const ROOT = resolve(import.meta.dirname, '..');
const SYNTHEA_PATIENTS = join(ROOT, '../shared/data/synthea-10/Patient.000.ndjson');

function samplePatient(): Record<string, unknown> {
  if (existsSync(SYNTHEA_PATIENTS)) return JSON.parse(readFileSync(SYNTHEA_PATIENTS, 'utf8').split('\n')[0]!);
  console.warn(`spine-e2e: ${SYNTHEA_PATIENTS} is absent; using a generated R4 Patient instead of a Synthea one`);
  return syntheticR4(1)[0]!;
}

async function verifyCli(node: TestNode, resource: unknown, receipt: unknown): Promise<{ code: number; out: string }> {
  const resourceFile = join(node.dataDir, 'verify-resource.json');
  const receiptFile = join(node.dataDir, 'verify-receipt.json');
  writeFileSync(resourceFile, JSON.stringify(resource));
  writeFileSync(receiptFile, JSON.stringify(receipt));
  try {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'gateway/cli/main.ts'), 'verify', '--resource', resourceFile, '--receipt', receiptFile, '--rpc', node.chain.descriptor.rpcUrl],
      // verify pins the registries of the node in DATA_DIR (or a --trust file), never the receipt's.
      { cwd: ROOT, env: { ...process.env, DATA_DIR: node.dataDir } },
    );
    // The verdict line; the member and trust lines follow it.
    return { code: 0, out: stdout.trim().split('\n')[0]! };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, out: `${failed.stdout}${failed.stderr}`.trim() };
  }
}

describe('spine end to end', () => {
  let node: TestNode;
  let location: string;
  let r5: Record<string, any>;
  let receipt: Record<string, any>;

  beforeAll(async () => {
    node = await startTestNode();
  });
  afterAll(async () => node?.dispose());

  it('accepts an R4 Patient with 201, Location and ETag, and reads it back as R5', async () => {
    const response = await fetch(`${node.fhirBase}/R4/Patient`, {
      method: 'POST',
      headers: { authorization: `Bearer ${node.token}`, 'content-type': 'application/fhir+json' },
      body: JSON.stringify(samplePatient()),
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('etag')).toBe('W/"1"');
    location = response.headers.get('location')!;
    expect(location).toMatch(new RegExp(`^${node.fhirBase}/Patient/[A-Za-z0-9-]+/_history/1$`));

    const read = await fetch(location.replace(/\/_history\/1$/, ''), { headers: { authorization: `Bearer ${node.token}` } });
    expect(read.status).toBe(200);
    expect(read.headers.get('content-type')).toContain('fhirVersion=5.0');
    r5 = (await read.json()) as Record<string, any>;
    expect(r5.resourceType).toBe('Patient');
    expect(r5.meta.versionId).toBe('1');
  });

  it('has its receipt within 5 s', async () => {
    const started = Date.now();
    for (;;) {
      const response = await fetch(`${location}/$receipt`, { headers: { authorization: `Bearer ${node.token}` } });
      if (response.status === 200) {
        receipt = (await response.json()) as Record<string, any>;
        break;
      }
      expect(response.status).toBe(202);
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(Date.now() - started).toBeLessThan(5_000);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(receipt.resource).toMatchObject({ type: 'Patient', id: r5.id, versionId: '1' });
  });

  it('is valid for careledger verify, and for $verify-anchor', async () => {
    expect(await verifyCli(node, r5, receipt)).toEqual({ code: 0, out: 'valid' });
    const response = await fetch(`${node.fhirBase}/$verify-anchor`, {
      method: 'POST',
      headers: { authorization: `Bearer ${node.token}`, 'content-type': 'application/fhir+json' },
      body: JSON.stringify({
        resourceType: 'Parameters',
        parameter: [
          { name: 'resource', resource: r5 },
          { name: 'receipt', valueString: JSON.stringify(receipt) },
        ],
      }),
    });
    const result = (await response.json()) as { parameter: Array<{ name: string; valueBoolean?: boolean }> };
    expect(result.parameter.find((p) => p.name === 'valid')?.valueBoolean).toBe(true);
  });

  it('says invalid, with the failing check, when a clinical value changes', async () => {
    const changed = { ...r5, birthDate: '1901-01-01' };
    const gender = { ...r5, gender: r5.gender === 'male' ? 'female' : 'male' };
    const name = { ...r5, name: [{ ...r5.name[0], family: 'Changed' }] };
    for (const tampered of [changed, gender, name]) {
      const { code, out } = await verifyCli(node, tampered, receipt);
      expect(code).toBe(1);
      expect(out).toMatch(/^invalid: digest: /);
    }
  });

  it('says invalid, with the failing check, when any field of the receipt changes', async () => {
    const flip = (hex: string): string => `${hex.slice(0, -1)}${hex.endsWith('0') ? '1' : '0'}`;
    const cases: Array<[string, (r: any) => void, RegExp]> = [
      ['salt', (r) => (r.salt = flip(r.salt)), /^invalid: leaf: /],
      ['digest', (r) => (r.digest = flip(r.digest)), /^invalid: digest: /],
      ['root', (r) => (r.root = flip(r.root)), /^invalid: inclusion: /],
      ['leafIndex', (r) => (r.leafIndex = r.leafIndex + 1), /^invalid: (format|inclusion): /],
      ['versionId', (r) => (r.resource.versionId = '2'), /^invalid: resource-identity: /],
      ['sequence', (r) => (r.anchor.sequence = String(Number(r.anchor.sequence) + 5)), /^invalid: anchor-exists: /],
      ['txHash', (r) => (r.anchor.txHash = flip(r.anchor.txHash)), /^invalid: anchor-tx: /],
      ['blockNumber', (r) => (r.anchor.blockNumber = r.anchor.blockNumber + 1), /^invalid: anchor-tx: /],
    ];
    for (const [field, mutate, expected] of cases) {
      const tampered = structuredClone(receipt);
      mutate(tampered);
      const { code, out } = await verifyCli(node, r5, tampered);
      expect({ field, code }).toEqual({ field, code: 1 });
      expect(out, field).toMatch(expected);
    }
  });
});
