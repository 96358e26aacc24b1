// The behaviour every AnchorPort implementation must show, as one reusable vitest suite. Each
// ledger's test file calls describeAnchorPort with a factory for a connected port whose key belongs
// to an active HOSPITAL member. The suite does not assume a fresh chain: it continues from whatever
// sequence the member has reached, so it also runs against a long-lived Besu network.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AnchorDuplicateError,
  AnchorGapError,
  AnchorInvalidError,
  AnchorPrevRootMismatchError,
  AnchorRootExistsError,
} from './anchor-errors.js';
import type { AnchorPort, AnchorRecord, Hex } from './ports.js';

export interface AnchorPortUnderTest {
  port: AnchorPort;
  /** The chain id and contract (or chaincode) id records must carry. */
  chainId: number;
  contract: Hex;
  close(): Promise<void>;
}

const ZERO = `0x${'0'.repeat(64)}` as Hex;
const randomRoot = () => `0x${randomBytes(32).toString('hex')}` as Hex;

export function describeAnchorPort(name: string, connect: () => Promise<AnchorPortUnderTest>): void {
  describe(`AnchorPort behaviour: ${name}`, () => {
    let subject: AnchorPortUnderTest;
    let port: AnchorPort;
    let latest: bigint;
    let latestRoot: Hex;

    beforeAll(async () => {
      subject = await connect();
      port = subject.port;
      latest = await port.latestSequence(port.memberId);
      latestRoot = latest === 0n ? ZERO : (await port.getAnchor(port.memberId, latest))!.root;
    });
    afterAll(async () => subject?.close());

    const next = () => ({ sequence: latest + 1n, root: randomRoot(), leafCount: 5, prevRoot: latestRoot });
    const accept = (record: AnchorRecord) => {
      latest = record.sequence;
      latestRoot = record.root;
    };

    it('answers the liveness probe', async () => {
      expect(await port.ping()).toBe(true);
    });

    it('anchors the next sequence and returns where it landed', async () => {
      const submission = next();
      const record = await port.submitAnchor(submission);
      accept(record);
      expect(record).toMatchObject({
        member: port.memberId,
        sequence: submission.sequence,
        root: submission.root,
        leafCount: 5,
        prevRoot: submission.prevRoot,
        chainId: subject.chainId,
        contract: subject.contract.toLowerCase(),
      });
      expect(record.txHash).toMatch(/^0x[0-9a-f]{64}$/);
      expect(record.submitter).toMatch(/^0x[0-9a-f]{40}$/);
      expect(record.blockNumber).toBeGreaterThan(0);
      expect(Math.abs(record.blockTime - Date.now() / 1000)).toBeLessThan(600);
      expect(await port.latestSequence(port.memberId)).toBe(submission.sequence);
    });

    it('finds an anchor by member and sequence, and by root, with the same record', async () => {
      const record = await port.submitAnchor(next());
      accept(record);
      expect(await port.getAnchor(port.memberId, record.sequence)).toEqual(record);
      expect(await port.findByRoot(record.root)).toEqual(record);
    });

    it('returns null for what was never anchored', async () => {
      expect(await port.getAnchor(port.memberId, latest + 1000n)).toBeNull();
      expect(await port.findByRoot(randomRoot())).toBeNull();
      expect(await port.latestSequence(`0x${randomBytes(32).toString('hex')}`)).toBe(0n);
    });

    it('anchors consecutive batches submitted without waiting in between', async () => {
      const first = next();
      const second = { sequence: first.sequence + 1n, root: randomRoot(), leafCount: 1, prevRoot: first.root };
      const [a, b] = await Promise.all([port.submitAnchor(first), port.submitAnchor(second)]);
      accept(b);
      expect([a.sequence, b.sequence]).toEqual([first.sequence, second.sequence]);
      expect(b.prevRoot).toBe(a.root);
    });

    it('reports a gap with the expected and offered sequence', async () => {
      const error = await port.submitAnchor({ ...next(), sequence: latest + 2n }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AnchorGapError);
      expect(error).toMatchObject({ member: port.memberId, expected: latest + 1n, got: latest + 2n });
    });

    it('reports a duplicate with the root already anchored at that sequence', async () => {
      const error = await port.submitAnchor({ ...next(), sequence: latest }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AnchorDuplicateError);
      expect(error).toMatchObject({ member: port.memberId, sequence: latest, existingRoot: latestRoot });
    });

    it('reports a broken link to the previous root', async () => {
      const wrong = randomRoot();
      const error = await port.submitAnchor({ ...next(), prevRoot: wrong }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AnchorPrevRootMismatchError);
      expect(error).toMatchObject({ member: port.memberId, expected: latestRoot, got: wrong });
    });

    it('reports a root that is already anchored', async () => {
      const error = await port.submitAnchor({ ...next(), root: latestRoot }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AnchorRootExistsError);
      expect(error).toMatchObject({ root: latestRoot, member: port.memberId, sequence: latest });
    });

    it('rejects a zero root and an empty batch', async () => {
      expect(await port.submitAnchor({ ...next(), root: ZERO }).catch((e: unknown) => e)).toMatchObject(new AnchorInvalidError('zero-root'));
      expect(await port.submitAnchor({ ...next(), leafCount: 0 }).catch((e: unknown) => e)).toMatchObject(new AnchorInvalidError('empty-batch'));
    });

    it('keeps anchoring after rejected submissions', async () => {
      const record = await port.submitAnchor(next());
      accept(record);
      expect(await port.latestSequence(port.memberId)).toBe(record.sequence);
    });
  });
}
