// The behaviour every CohortPort implementation must show, as one reusable vitest suite: the
// registry's bookkeeping (commitments, queries, trials, events) and the refusals it decides before
// any proof is verified. Answers and eligibility with real Groth16 proofs take seconds per proof
// and live in the implementation's own tests (gateway/ledger/evm/cohort-port.test.ts). Each
// ledger's test file calls describeCohortPort with ports signing as an active HOSPITAL member and
// as an active RESEARCHER member. The suite continues from whatever epoch the hospital reached, so
// it also runs against a long-lived consortium.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CohortRejectedError } from './cohort-errors.js';
import type { CohortCommitment, CohortPort, Hex, ProofCalldata } from './ports.js';

export interface CohortPortUnderTest {
  /** Signs as an active HOSPITAL member. */
  hospital: CohortPort;
  /** That hospital's member id. */
  hospitalMember: Hex;
  /** Signs as an active RESEARCHER member. */
  researcher: CohortPort;
  /** The consortium's minimum cell size, at least 2. */
  floor: number;
  close(): Promise<void>;
}

/** A random non-zero element of the BN254 scalar field (31 random bytes stay below its order). */
const fieldElement = () => BigInt(`0x${randomBytes(31).toString('hex')}`) + 1n;
/** Records per chunk root (CohortRegistry's CHUNK_SIZE; the circuits fix it). */
const CHUNK_SIZE = 16;

export function describeCohortPort(name: string, connect: () => Promise<CohortPortUnderTest>): void {
  describe(`CohortPort behaviour: ${name}`, () => {
    let subject: CohortPortUnderTest;
    let hospital: CohortPort;
    let researcher: CohortPort;
    let hospitalMember: Hex;

    beforeAll(async () => {
      subject = await connect();
      ({ hospital, researcher, hospitalMember } = subject);
    });
    afterAll(async () => subject?.close());

    const rejection = (promise: Promise<unknown>) => promise.then(() => null, (e: unknown) => e);
    const commitNext = async (recordCount = 20): Promise<CohortCommitment & { gasUsed: bigint }> => {
      const latest = await hospital.latestEpoch(hospitalMember);
      const chunks = Array.from({ length: Math.ceil(recordCount / CHUNK_SIZE) }, fieldElement);
      return hospital.commitRecords(latest + 1n, fieldElement(), recordCount, chunks);
    };
    const postQuery = () =>
      researcher.postQuery(fieldElement(), subject.floor, Math.floor(Date.now() / 1000) + 3600, JSON.stringify([{ field: 'hba1c', op: 'gte', value: 6 }]));

    it('reports the consortium\'s minimum cell size and the feature schema it agreed on', async () => {
      expect(await hospital.minCellSizeFloor()).toBe(subject.floor);
      expect(await researcher.featureSchemaHash()).toMatch(/^0x[0-9a-f]{64}$/);
      expect(hospital.chainId).toBe(researcher.chainId);
      expect(hospital.contract).toBe(researcher.contract);
    });

    it('commits the hospital\'s next epoch and reads the commitment back', async () => {
      const committed = await commitNext();
      expect(committed.member).toBe(hospitalMember);
      const { gasUsed, ...commitment } = committed;
      expect(commitment.chunkRoots).toHaveLength(2);
      expect(commitment.recordCount).toBe(20);
      expect(gasUsed).toBeGreaterThan(0n);
      expect(await hospital.latestEpoch(committed.member)).toBe(committed.epoch);
      expect(await researcher.getCommitment(committed.member, committed.epoch)).toEqual(commitment);
      expect(await researcher.getCommitment(committed.member, committed.epoch + 1n)).toBeNull();
      expect(await researcher.isCommittedRoot(committed.root)).toBe(true);
      expect(await researcher.isCommittedRoot(fieldElement())).toBe(false);
      expect(await researcher.latestEpoch(`0x${randomBytes(32).toString('hex')}`)).toBe(0n);
    });

    it('refuses an epoch that does not increase and chunk roots that do not match the record count', async () => {
      const latest = await hospital.latestEpoch(hospitalMember);
      const stale = await rejection(hospital.commitRecords(latest, fieldElement(), 1, [fieldElement()]));
      expect(stale).toBeInstanceOf(CohortRejectedError);
      expect(stale).toMatchObject({ reason: 'EpochNotIncreasing', args: [hospitalMember, latest, latest] });
      const short = await rejection(hospital.commitRecords(latest + 1n, fieldElement(), 17, [fieldElement()]));
      expect(short).toMatchObject({ reason: 'ChunkCountMismatch', args: [17n, 2n, 1n] });
      expect(await hospital.latestEpoch(hospitalMember)).toBe(latest);
    });

    it('posts a query and reads it back, with no answers yet', async () => {
      const query = await postQuery();
      expect(query.queryId).toBeGreaterThan(0n);
      expect(await hospital.getQuery(query.queryId)).toEqual(query);
      expect(await hospital.getQuery(query.queryId + 1000n)).toBeNull();
      expect(await researcher.answersTo(query.queryId)).toEqual([]);
      expect(await researcher.getAnswer(query.queryId, hospitalMember)).toBeNull();
      expect(await researcher.answerProgress(query.queryId, hospitalMember)).toBeNull();
      const next = await postQuery();
      expect(next.queryId).toBeGreaterThan(query.queryId);
    });

    it('refuses a query whose minimum cell size is below the floor', async () => {
      const error = await rejection(researcher.postQuery(fieldElement(), subject.floor - 1, Math.floor(Date.now() / 1000) + 3600, '[]'));
      expect(error).toMatchObject({ reason: 'CellSizeTooSmall', args: [BigInt(subject.floor - 1), BigInt(subject.floor)] });
    });

    it('registers a trial once and reads its criteria hash', async () => {
      const scopeId = fieldElement();
      const criteriaHash = fieldElement();
      const tx = await researcher.registerTrial(scopeId, criteriaHash);
      expect(tx.txHash).toMatch(/^0x[0-9a-f]{64}$/);
      expect(await hospital.trialCriteriaHash(scopeId)).toBe(criteriaHash);
      expect(await hospital.trialCriteriaHash(fieldElement())).toBeNull();
      expect(await rejection(hospital.registerTrial(scopeId, criteriaHash))).toMatchObject({ reason: 'TrialExists', args: [scopeId] });
      expect(await hospital.isNullifierSpent(scopeId, fieldElement())).toBe(false);
    });

    it('refuses an eligibility proof for an unknown trial or an uncommitted root before verifying it', async () => {
      const proof = (signals: bigint[]): ProofCalldata => ({ a: [1n, 2n], b: [[1n, 2n], [3n, 4n]], c: [1n, 2n], signals });
      const unknownTrial = fieldElement();
      expect(await rejection(hospital.acceptEligibility(proof([fieldElement(), fieldElement(), fieldElement(), unknownTrial])))).toMatchObject({
        reason: 'UnknownTrial',
        args: [unknownTrial],
      });
      const scopeId = fieldElement();
      const criteriaHash = fieldElement();
      await researcher.registerTrial(scopeId, criteriaHash);
      const root = fieldElement();
      expect(await rejection(hospital.acceptEligibility(proof([fieldElement(), root, criteriaHash, scopeId])))).toMatchObject({ reason: 'UnknownRoot', args: [root] });
    });

    it('replays commitments, queries and trials as events, in chain order', async () => {
      const from = (await researcher.latestBlock()) + 1;
      const committed = await commitNext(3);
      const query = await postQuery();
      const scopeId = fieldElement();
      const criteriaHash = fieldElement();
      const trial = await researcher.registerTrial(scopeId, criteriaHash);
      const events = await hospital.events(from, await hospital.latestBlock());
      expect(events.map((e) => e.kind)).toEqual(['committed', 'query', 'trial']);
      const { gasUsed: _gas, ...commitment } = committed;
      expect(events[0]).toEqual({ kind: 'committed', commitment });
      expect(events[1]).toEqual({ kind: 'query', query });
      expect(events[2]).toMatchObject({ kind: 'trial', scopeId, criteriaHash, txHash: trial.txHash, blockNumber: trial.blockNumber });
    });
  });
}
