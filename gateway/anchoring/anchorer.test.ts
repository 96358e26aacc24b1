// The anchorer against the real EVM anchor port on the embedded anvil chain: what it does on
// start when the chain and the local batch log disagree. Each test anchors as its own hospital
// member, so every test starts with an empty anchor log on chain.

import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { deployedOnce, useEmbeddedChain } from '../../test/support/chain-fixture.js';
import { connectLedger } from '../ledger/factory.js';
import type { AnchorPort, Hex, Ledger } from '../ledger/ports.js';
import { SqliteBatchStore } from '../store/batch-store.js';
import { eventually } from '../../test/support/eventually.js';
import { journalObservations, tempNodeDatabase, type TempNodeDatabase } from '../../test/support/journal-seed.js';
import { Anchorer, type AnchoredBatch, type AnchorerLog } from './anchorer.js';
import { Batcher } from './batcher.js';

const fixture = useEmbeddedChain();
const HOSPITALS = 6;
const ZERO = `0x${'0'.repeat(64)}` as Hex;
const quiet: AnchorerLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

const consortium = deployedOnce(
  fixture,
  Array.from({ length: HOSPITALS }, (_, index) => ({ orgId: `hospital-${index + 1}`, roles: ['HOSPITAL' as const] })),
);
let nextHospital = 1;
const cleanup: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** A ledger connection as a hospital no other test anchors as. */
async function freshHospital(): Promise<Ledger> {
  const { chain } = fixture();
  const descriptor = await consortium();
  const account = nextHospital++;
  const ledger = await connectLedger({ kind: 'evm', ...descriptor, privateKey: chain.accounts[account]!.privateKey, pollingIntervalMs: 50 });
  cleanup.push(() => ledger.close());
  return ledger;
}

function node(port: AnchorPort): { temp: TempNodeDatabase; log: SqliteBatchStore; batcher: Batcher; anchorer: Anchorer; anchored: AnchoredBatch[] } {
  const temp = tempNodeDatabase();
  const log = new SqliteBatchStore(temp.db);
  const batcher = new Batcher(log, { maxLeaves: 3, maxAgeMs: 60_000 });
  const anchorer = new Anchorer(log, batcher, port, quiet);
  const anchored: AnchoredBatch[] = [];
  anchorer.onAnchored((_seq, batch) => anchored.push(batch));
  cleanup.push(() => temp.remove());
  cleanup.push(() => anchorer.stop());
  return { temp, log, batcher, anchorer, anchored };
}

const hex = (buffer: Buffer) => `0x${buffer.toString('hex')}` as Hex;

describe('Anchorer', () => {
  it('anchors closed batches in sequence and tells its listeners', async () => {
    const { anchors } = await freshHospital();
    const { temp, anchorer, anchored, log } = node(anchors);
    journalObservations(temp.db, 7, 'normal');
    anchorer.start();
    await anchorer.flush(20_000);

    expect(await anchors.latestSequence(anchors.memberId)).toBe(3n);
    expect(anchored.map((batch) => [batch.seq, batch.leafCount])).toEqual([[1, 3], [2, 3], [3, 1]]);
    expect(anchored.every((batch) => batch.anchoredAt >= batch.closedAt)).toBe(true);
    expect(anchorer.health()).toMatchObject({ state: 'ok', lastAnchoredSequence: 3, closedBatchesWaiting: 0, leavesWaiting: 0 });
    expect(log.lastAnchoredSequence()).toBe(3);
  });

  it('on restart marks a batch the chain already holds as anchored instead of sending it again', async () => {
    const { anchors } = await freshHospital();
    const { temp, batcher, anchorer, anchored } = node(anchors);
    journalObservations(temp.db, 3, 'crashed');
    // The previous run closed the batch and sent it, then died before recording the anchor.
    const batch = (await batcher.closeDue(Date.now(), true))!;
    const sent = await anchors.submitAnchor({ sequence: 1n, root: hex(batch.root), leafCount: 3, prevRoot: ZERO });

    anchorer.start();
    await eventually(() => expect(anchored).toHaveLength(1), 10_000, 20);
    expect(await anchors.latestSequence(anchors.memberId)).toBe(1n);
    expect(anchorer.health()).toMatchObject({ state: 'ok', lastAnchoredSequence: 1, closedBatchesWaiting: 0 });
    expect(anchored[0]).toMatchObject({ seq: 1, leafCount: 3 });

    // The receipt data is the chain's record of that first send.
    const onChain = await anchors.getAnchor(anchors.memberId, 1n);
    expect(onChain).toMatchObject({ txHash: sent.txHash, blockNumber: sent.blockNumber });
  });

  it('on restart sends only what the chain lacks when some closed batches reached it', async () => {
    const { anchors } = await freshHospital();
    const { temp, batcher, anchorer, anchored } = node(anchors);
    journalObservations(temp.db, 9, 'partial');
    const first = (await batcher.closeDue(Date.now()))!;
    const second = (await batcher.closeDue(Date.now()))!;
    const third = (await batcher.closeDue(Date.now()))!;
    await anchors.submitAnchor({ sequence: 1n, root: hex(first.root), leafCount: 3, prevRoot: ZERO });

    anchorer.start();
    await anchorer.flush(20_000);
    expect(anchored.map((batch) => batch.seq)).toEqual([1, 2, 3]);
    expect(await anchors.latestSequence(anchors.memberId)).toBe(3n);
    expect((await anchors.getAnchor(anchors.memberId, 2n))!.root).toBe(hex(second.root));
    expect((await anchors.getAnchor(anchors.memberId, 3n))!.root).toBe(hex(third.root));
  });

  it('halts with a failing health when the chain holds a different root for a local batch', async () => {
    const { anchors } = await freshHospital();
    const { temp, batcher, anchorer, anchored } = node(anchors);
    journalObservations(temp.db, 3, 'diverged');
    const local = (await batcher.closeDue(Date.now(), true))!;
    const foreign = hex(randomBytes(32));
    await anchors.submitAnchor({ sequence: 1n, root: foreign, leafCount: 3, prevRoot: ZERO });

    anchorer.start();
    await eventually(() => expect(anchorer.health().state).toBe('diverged'), 10_000, 20);
    expect(anchorer.health().detail).toBe(`batch 1 has root ${hex(local.root)} locally but ${foreign} on chain`);
    expect(anchored).toEqual([]);
    expect(anchorer.health()).toMatchObject({ lastAnchoredSequence: 0, closedBatchesWaiting: 1 });
  });

  it('halts when the chain holds more anchors than the local log (a gap in the journal)', async () => {
    const { anchors } = await freshHospital();
    const { temp, batcher, anchorer } = node(anchors);
    journalObservations(temp.db, 3, 'behind');
    const local = (await batcher.closeDue(Date.now(), true))!;
    const one = await anchors.submitAnchor({ sequence: 1n, root: hex(local.root), leafCount: 3, prevRoot: ZERO });
    await anchors.submitAnchor({ sequence: 2n, root: hex(randomBytes(32)), leafCount: 1, prevRoot: one.root });

    anchorer.start();
    await eventually(() => expect(anchorer.health().state).toBe('diverged'), 10_000, 20);
    expect(anchorer.health().detail).toBe('the chain holds 2 anchors for this member but the journal only 1');
  });

  it('with an empty journal joins an existing anchor log after its head', async () => {
    const { anchors } = await freshHospital();
    const earlier = await anchors.submitAnchor({ sequence: 1n, root: hex(randomBytes(32)), leafCount: 2, prevRoot: ZERO });
    const { temp, anchorer, anchored } = node(anchors);

    anchorer.start();
    await eventually(() => expect(anchorer.health().state).toBe('ok'), 10_000, 20);
    journalObservations(temp.db, 2, 'joined');
    await anchorer.flush(20_000);
    expect(anchored.map((batch) => batch.seq)).toEqual([2]);
    expect((await anchors.getAnchor(anchors.memberId, 2n))!.prevRoot).toBe(earlier.root);
  });
});
