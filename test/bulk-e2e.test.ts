// Bulk Data between two real nodes: node A exports through its own $export over HTTP with SMART
// Backend Services auth, and `careledger sync bulk` (a child process, as hospital IT runs it)
// imports into node B's store. Every resource arrives with A's digest, and once B runs again it
// anchors them: each has a receipt that verifies against B's chain.

import { exportJWK, generateKeyPair } from 'jose';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientRegistry } from '../gateway/auth/client-registry.js';
import { SqliteClientStore } from '../gateway/store/client-store.js';
import { runCli } from './support/cli.js';
import { postBatch, waitForAnchoring } from './support/fhir-client.js';
import { awaitReceipt, verifiedReceipt } from './support/receipts.js';
import { syntheticR4 } from './support/synthetic-fhir.js';
import { startTestNode, type TestNode } from './support/test-node.js';

const RESOURCES = syntheticR4(60, { prefix: 'bulk', perPatient: 4 });

let nodeA: TestNode;
let nodeB: TestNode | undefined;
let dirB: string;
let scratch: string;
let keyFile: string;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'careledger-bulk-e2e-'));
  nodeA = await startTestNode();
  const loaded = await postBatch(nodeA, RESOURCES, `${nodeA.fhirBase}/R4`);
  expect(loaded.entryStatus.every((status) => status.startsWith('201'))).toBe(true);

  // Node B is a SMART Backend Services client of node A, with read scopes only.
  const { publicKey, privateKey } = await generateKeyPair('ES384', { extractable: true });
  const kid = 'node-b-1';
  await new ClientRegistry(new SqliteClientStore(nodeA.db)).registerClient({
    clientId: 'node-b',
    name: 'node B bulk import',
    jwks: { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES384' }] },
    scopes: ['system/*.rs'],
  });
  keyFile = join(scratch, 'node-b-key.json');
  writeFileSync(keyFile, JSON.stringify({ ...(await exportJWK(privateKey)), kid, alg: 'ES384' }), { mode: 0o600 });

  // B exists (keys, database, chain) but is stopped while the CLI writes into it.
  nodeB = await startTestNode();
  dirB = nodeB.dataDir;
}, 60_000);

afterAll(async () => {
  await nodeA?.dispose();
  await nodeB?.dispose();
  rmSync(scratch, { recursive: true, force: true });
});

const syncArgs = () => ['sync', 'bulk', '--from', `${nodeA.fhirBase}/$export`, '--r5', '--client-id', 'node-b', '--key', keyFile];

describe('Bulk Data from node A into node B', () => {
  it('refuses while node B runs, and when DATA_DIR holds no node', async () => {
    const running = await runCli(syncArgs(), { DATA_DIR: dirB });
    expect(running.code).toBe(1);
    expect(running.stderr.trim()).toMatch(/in use by a careledger node \(pid \d+\); stop it first/);

    const empty = await runCli(syncArgs(), { DATA_DIR: join(scratch, 'nothing-here') });
    expect(empty.code).toBe(1);
    expect(empty.stderr.trim()).toMatch(/^careledger: no node database at .*careledger\.db/);
  }, 30_000);

  it('imports every resource of A with its digest through careledger sync bulk', async () => {
    await nodeB!.close();
    const run = await runCli(syncArgs(), { DATA_DIR: dirB });
    expect(run.stderr).not.toMatch(/careledger: /);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`imported ${RESOURCES.length} resources from \\d+ files .*: ${RESOURCES.length} stored, 0 unchanged, 0 rejected`));

    nodeB = await startTestNode({ DATA_DIR: dirB });
    const digests = (node: TestNode) =>
      new Map(
        (node.db.prepare('SELECT type, id, digest FROM resource_current WHERE deleted = 0').all() as Array<{ type: string; id: string; digest: Buffer }>).map(
          (row) => [`${row.type}/${row.id}`, row.digest.toString('hex')],
        ),
      );
    expect(digests(nodeB).size).toBe(RESOURCES.length);
    expect(digests(nodeB)).toEqual(digests(nodeA));
  }, 40_000);

  it('anchors the imported resources at B: each receipt verifies on B\'s chain and carries A\'s digest', async () => {
    await waitForAnchoring(nodeB!.baseUrl);
    for (const { resourceType, id } of RESOURCES) {
      const reference = `${resourceType}/${id}`;
      const atB = await verifiedReceipt(nodeB!, nodeB!, reference);
      expect(atB.result.valid, reference).toBe(true);
      const atA = await awaitReceipt(nodeA, reference, '1');
      expect(atB.receipt.digest, reference).toBe(atA.digest);
      expect(atB.receipt.anchor.chainId).toBe(nodeB!.chain.descriptor.chainId);
    }
  }, 40_000);
});
