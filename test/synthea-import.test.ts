// synthea-10 end to end: `careledger import` of all 7,160 R4 resources, every one converted,
// validated, stored and anchored, every receipt verified against the chain; then a scan of the
// whole chain for anything identifying (resource ids, identifier values, names, birth dates).

import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyReceipt } from '../gateway/receipts/verify.js';
import type { AnchorRecord } from '../gateway/ledger/ports.js';
import { findOnChain, readChainContent } from './support/chain-scan.js';
import { waitForAnchoring } from './support/fhir-client.js';
import { startTestNode, type TestNode } from './support/test-node.js';

const ROOT = resolve(import.meta.dirname, '..');
const SYNTHEA = join(ROOT, '../shared/data/synthea-10');
const present = existsSync(SYNTHEA);
if (!present) console.warn(`synthea-import: skipped, ${SYNTHEA} is absent (it comes from ../shared/data)`);

interface R4Resource {
  resourceType: string;
  id: string;
  identifier?: Array<{ value?: string }>;
  name?: Array<{ family?: string; given?: string[] }> | string;
  birthDate?: string;
}

function readSynthea(): R4Resource[] {
  return readdirSync(SYNTHEA)
    .filter((file) => file.endsWith('.ndjson') && file !== 'log.ndjson')
    .flatMap((file) =>
      readFileSync(join(SYNTHEA, file), 'utf8')
        .split('\n')
        .filter((line) => line.trim())
        .map((line) => JSON.parse(line) as R4Resource),
    );
}

describe.skipIf(!present)('synthea-10 import', () => {
  let node: TestNode;
  let resources: R4Resource[];

  beforeAll(async () => {
    node = await startTestNode();
    resources = readSynthea();
  });
  afterAll(async () => node?.dispose());

  it('imports all 7,160 resources with careledger import', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(ROOT, 'gateway/cli/main.ts'), 'import', SYNTHEA], {
      cwd: ROOT,
      env: { ...process.env, DATA_DIR: node.dataDir },
      maxBuffer: 10 * 1024 * 1024,
    });
    console.log(stdout.trim());
    expect(resources).toHaveLength(7160);
    expect(stdout).toMatch(/imported 7160 resources/);
    expect(stdout).toMatch(/7160 created, 0 updated, 0 unchanged, 0 failed, 4 non-resource lines skipped/);
  }, 180_000);

  it('gives every resource a receipt that verifies against the chain', async () => {
    await waitForAnchoring(node.baseUrl, 120_000);
    const anchors = new Map<string, Promise<AnchorRecord | null>>();
    const lookup = (member: `0x${string}`, sequence: bigint) => {
      const key = `${member}:${sequence}`;
      if (!anchors.has(key)) anchors.set(key, node.chain.lookupAnchor(member, sequence));
      return anchors.get(key)!;
    };
    let valid = 0;
    for (const resource of resources) {
      const stored = await node.store.read(resource.resourceType, resource.id);
      const status = await node.store.receipt(resource.resourceType, resource.id, stored.versionId);
      expect(status.status).toBe('anchored');
      if (status.status !== 'anchored') continue;
      const result = await verifyReceipt(stored.resource, status.receipt, lookup);
      if (!result.valid) throw new Error(`${resource.resourceType}/${resource.id}: ${result.failedCheck} ${result.reason}`);
      valid++;
    }
    expect(valid).toBe(7160);
    console.log(`synthea-import: 7160 receipts verified over ${anchors.size} anchors`);
  }, 180_000);

  it('puts no resource id, identifier, name or birth date on chain', async () => {
    const needles = new Set<string>();
    for (const resource of resources) {
      needles.add(resource.id);
      for (const identifier of resource.identifier ?? []) if (identifier.value && identifier.value.length >= 5) needles.add(identifier.value);
      if (Array.isArray(resource.name)) {
        for (const name of resource.name) {
          for (const part of [name.family, ...(name.given ?? [])]) if (part && part.length >= 5) needles.add(part);
        }
      }
      if (resource.birthDate) needles.add(resource.birthDate);
    }
    const content = await readChainContent(node.chain.descriptor.rpcUrl);
    expect(content.transactions).toBeGreaterThan(2);
    expect(findOnChain(content, needles)).toEqual([]);
    // The scan itself works: an anchored root is found where it should be.
    const root = (node.db.prepare('SELECT lower(hex(root)) AS root FROM batches LIMIT 1').get() as { root: string }).root;
    expect(content.parts.some((part) => part.includes(root))).toBe(true);
    console.log(`synthea-import: scanned ${content.transactions} transactions and ${content.logs} logs for ${needles.size} sensitive strings`);
  }, 120_000);
});
