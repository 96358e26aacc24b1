// The receipt service over real rows, alone and behind the FHIR $receipt route: pending (202 and
// Retry-After) until the version's batch is anchored on the embedded anvil chain, then a receipt
// whose audit path leads to the root the chain holds; and the receipt feed built on it.

import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployConsortium } from '../../network/deploy.js';
import { useEmbeddedChain } from '../../test/support/chain-fixture.js';
import { verifyInclusion } from '../crypto/merkle.js';
import { MemoryResourceService } from '../../test/support/memory-resource-service.js';
import { buildTestApp } from '../../test/support/fhir-test-app.js';
import { connectLedger } from '../ledger/factory.js';
import type { Hex, Ledger } from '../ledger/ports.js';
import type { Receipt } from '../receipts/format.js';
import { SqliteBatchStore } from '../store/batch-store.js';
import { SqliteReceiptRecordStore } from '../store/receipt-record-store.js';
import { eventually } from '../../test/support/eventually.js';
import { journalObservations, tempNodeDatabase, type SeededVersion, type TempNodeDatabase } from '../../test/support/journal-seed.js';
import { AnchoredReceiptFeed } from './anchored-receipts.js';
import { Anchorer } from './anchorer.js';
import { Batcher } from './batcher.js';
import { ReceiptService } from './receipt-service.js';

const fixture = useEmbeddedChain();
const RETRY_AFTER_SECONDS = 2;
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

let ledger: Ledger;
let temp: TempNodeDatabase;
let batcher: Batcher;
let anchorer: Anchorer;
let receipts: ReceiptService;
let feed: AnchoredReceiptFeed;
const fed: Receipt[] = [];
let seeded: SeededVersion[];
/** The FHIR routes with this receipt service behind $receipt. */
let app: FastifyInstance;

beforeAll(async () => {
  const { chain, dataDir } = fixture();
  const descriptor = await deployConsortium({
    rpcUrl: chain.rpcUrl,
    chainId: chain.chainId,
    deployerKey: chain.accounts[0]!.privateKey,
    dataDir,
    members: [{ orgId: 'hospital-a', roles: ['HOSPITAL'], signer: chain.accounts[1]!.address }],
  });
  ledger = await connectLedger({ kind: 'evm', ...descriptor, privateKey: chain.accounts[1]!.privateKey, pollingIntervalMs: 50 });
  temp = tempNodeDatabase();
  const log = new SqliteBatchStore(temp.db);
  batcher = new Batcher(log, { maxLeaves: 5, maxAgeMs: 60_000 });
  anchorer = new Anchorer(log, batcher, ledger.anchors, quiet);
  receipts = new ReceiptService(new SqliteReceiptRecordStore(temp.db), RETRY_AFTER_SECONDS, 'Hospital A');
  feed = new AnchoredReceiptFeed(receipts, (error) => {
    throw error;
  });
  feed.onReceipt((receipt) => fed.push(receipt));
  anchorer.onAnchored((seq) => feed.batchAnchored(seq));
  seeded = journalObservations(temp.db, 7, 'obs');
  const service = Object.assign(new MemoryResourceService(), {
    receipt: async (type: string, id: string, versionId: string) => receipts.receipt(type, id, versionId),
  });
  ({ app } = await buildTestApp({ service }));
});

afterAll(async () => {
  await app?.close();
  await feed?.close();
  await anchorer?.stop();
  await ledger?.close();
  temp?.remove();
});

describe('ReceiptService', () => {
  it('is pending, with the retry delay, while the version is journaled but not batched: 202 and Retry-After', async () => {
    expect(receipts.receipt('Observation', 'obs-0', '1')).toEqual({ status: 'pending', retryAfterSeconds: RETRY_AFTER_SECONDS });
    expect(receipts.provenanceFor('Observation', 'obs-0')).toEqual([]);
    const response = await app.inject({ method: 'GET', url: '/fhir/Observation/obs-0/_history/1/$receipt' });
    expect(response.statusCode).toBe(202);
    expect(response.headers['retry-after']).toBe(String(RETRY_AFTER_SECONDS));
  });

  it('is still pending once the batch is closed but not anchored', async () => {
    expect(await batcher.closeDue(Date.now())).toMatchObject({ seq: 1, leafCount: 5 });
    expect(receipts.receipt('Observation', 'obs-4', '1')).toEqual({ status: 'pending', retryAfterSeconds: RETRY_AFTER_SECONDS });
  });

  it('is pending for a version it does not know, and for a version id that is not a number', () => {
    expect(receipts.receipt('Observation', 'obs-0', '2').status).toBe('pending');
    expect(receipts.receipt('Observation', 'obs-0', 'x').status).toBe('pending');
    expect(receipts.receipt('Observation', 'missing', '1').status).toBe('pending');
  });

  it('issues a receipt whose audit path leads to the root on chain once the batch is anchored', async () => {
    anchorer.start();
    await anchorer.flush(20_000);

    for (const [index, version] of seeded.entries()) {
      const status = receipts.receipt(version.type, version.id, '1');
      expect(status.status).toBe('anchored');
      const receipt = (status as { receipt: Receipt }).receipt;
      const inFirstBatch = index < 5;
      expect(receipt).toMatchObject({
        resource: { type: 'Observation', id: version.id, versionId: '1' },
        leaf: hex(version.leaf),
        leafIndex: inFirstBatch ? index : index - 5,
        treeSize: inFirstBatch ? 5 : 2,
        anchor: { sequence: inFirstBatch ? '1' : '2', member: ledger.anchors.memberId },
      });
      const onChain = (await ledger.anchors.getAnchor(ledger.anchors.memberId, BigInt(receipt.anchor.sequence)))!;
      expect(receipt.root).toBe(onChain.root);
      expect(receipt.anchor).toMatchObject({ txHash: onChain.txHash, blockNumber: onChain.blockNumber, chainId: onChain.chainId });
      const path = receipt.auditPath.map((node) => Buffer.from(node.slice(2), 'hex'));
      expect(verifyInclusion(receipt.leafIndex, receipt.treeSize, version.leaf, path, Buffer.from(onChain.root.slice(2), 'hex'))).toBe(true);
    }
    const response = await app.inject({ method: 'GET', url: '/fhir/Observation/obs-6/_history/1/$receipt' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ resource: { id: 'obs-6' }, leafIndex: 1, treeSize: 2, anchor: { sequence: '2' } });
  });

  it('serves the anchor Provenance of each anchored version', () => {
    const [provenance] = receipts.provenanceFor('Observation', 'obs-6');
    expect(provenance).toMatchObject({ resourceType: 'Provenance', id: 'anchor-Observation-obs-6-1', target: [{ reference: 'Observation/obs-6/_history/1' }] });
  });

  it('feeds one receipt per version of every anchored batch', async () => {
    await eventually(() => expect(fed).toHaveLength(seeded.length), 10_000, 20);
    expect(fed.map((receipt) => receipt.resource.id).sort()).toEqual(seeded.map((version) => version.id).sort());
  });
});

function hex(buffer: Buffer): Hex {
  return `0x${buffer.toString('hex')}`;
}
