// EvmCohortPort on a real anvil with real proofs: answers larger than the per-transaction chunk
// limit go in several transactions, a restarted node continues a partial answer, and both audit
// offline from the chain alone. The limit is lowered to 2 chunks so that 40 records (3 chunks)
// need two batches.
import { Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomRecords } from '../../../test/support/cohort-records.js';
import { deployConsortium } from '../../../network/deploy.js';
import { useEmbeddedChain } from '../../../test/support/chain-fixture.js';
import { auditAnswer } from '../../cohort/answer-audit.js';
import { AnswerBlindings } from '../../cohort/answer-blindings.js';
import { answerCohortQuery, type CohortAnswer } from '../../cohort/cohort-query-prover.js';
import { buildCohortTree, chunkRoots } from '../../cohort/cohort-tree.js';
import { compileCriteria, criteriaHash, type CohortCriteria } from '../../cohort/criteria.js';
import type { FeatureRecord } from '../../cohort/features.js';
import { toProofCalldata } from '../../cohort/proof-calldata.js';
import { recordLeaf } from '../../cohort/record-encoding.js';
import { loadZkToolkit, releaseZkThreads, type ZkToolkit } from '../../cohort/zk-toolkit.js';
import { CohortRejectedError } from '../cohort-errors.js';
import type { CohortQueryRecord, Hex, ProofCalldata } from '../ports.js';
import { cohortRegistryInterface, EvmCohortPort } from './cohort-port.js';
import { TxSender } from './tx-sender.js';

const fixture = useEmbeddedChain();
const QUERY: CohortCriteria = [{ field: 'hba1c', op: 'gte', value: 6 }];
const FLOOR = 3;

describe('EvmCohortPort answers', () => {
  let zk: ZkToolkit;
  let records: FeatureRecord[];
  let hospitalSender: TxSender;
  let batched: EvmCohortPort;
  let oneTx: EvmCohortPort;
  let researcher: EvmCohortPort;
  let reader: EvmCohortPort;
  let member: Hex;
  let prove: () => Promise<CohortAnswer>;
  let answer: CohortAnswer;
  const calldata = (a: CohortAnswer) => ({ chunks: a.chunks.map(toProofCalldata), release: toProofCalldata(a.release) });
  const postQuery = async (): Promise<CohortQueryRecord> =>
    researcher.postQuery(criteriaHash(zk.hash, compileCriteria(QUERY)), FLOOR, Math.floor(Date.now() / 1000) + 3600, JSON.stringify(QUERY));

  beforeAll(async () => {
    const { chain, provider, dataDir } = fixture();
    const deployed = await deployConsortium({
      rpcUrl: chain.rpcUrl,
      chainId: chain.chainId,
      deployerKey: chain.accounts[0]!.privateKey,
      members: [
        { orgId: 'hospital-a', roles: ['HOSPITAL'], signer: chain.accounts[1]!.address },
        { orgId: 'research-r', roles: ['RESEARCHER'], signer: chain.accounts[3]!.address },
      ],
      minCellSizeFloor: FLOOR,
      dataDir,
    });
    const address = deployed.contracts.CohortRegistry!;
    const send = (i: number) => new TxSender(new Wallet(chain.accounts[i]!.privateKey, provider), provider, chain.chainId, { gasPrice: 0n, confirmTimeoutMs: 30_000 });
    hospitalSender = send(1);
    batched = new EvmCohortPort(address, chain.chainId, provider, hospitalSender, 0, { chunksPerTransaction: 2 });
    oneTx = new EvmCohortPort(address, chain.chainId, provider, hospitalSender);
    researcher = new EvmCohortPort(address, chain.chainId, provider, send(3));
    reader = new EvmCohortPort(address, chain.chainId, provider, null);

    zk = await loadZkToolkit();
    records = randomRecords(40, 31);
    const tree = buildCohortTree(zk.hash, records.map((r) => recordLeaf(zk.hash, r)));
    const committed = await batched.commitRecords(1n, tree.root, records.length, chunkRoots(tree));
    member = committed.member;
    // One blinding function for every answer here: the contract does not bind proofs to a query id.
    const blinding = new AnswerBlindings(Buffer.alloc(32, 7)).of(batched.contract, 1n, 1n, zk.commitments.subOrder);
    prove = () => answerCohortQuery({ hash: zk.hash, commitments: zk.commitments, ...zk.provers }, records, QUERY, FLOOR, undefined, blinding);
    answer = await prove();
    expect(answer.chunks).toHaveLength(3);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(Object.values(zk?.provers ?? {}).map((p) => p.close()));
    await releaseZkThreads();
  });

  it('posts more chunks than one transaction takes in batches, then the release, and the answer audits offline', async () => {
    const query = await postQuery();
    const { chunks, release } = calldata(answer);
    const posted = await batched.postAnswer(query.queryId, 1n, chunks, release);
    expect(posted).toMatchObject({ queryId: query.queryId, member, epoch: 1n, belowMinimum: false });
    expect(posted.releasedCount).toBeGreaterThanOrEqual(FLOOR);
    expect(await batched.answerProgress(query.queryId, member)).toBeNull();

    const proofs = await reader.answerProofs(posted.txHash);
    expect(proofs.transactions).toHaveLength(3);
    expect(proofs.transactions[2]).toBe(posted.txHash);
    expect(proofs).toMatchObject({ queryId: query.queryId, epoch: 1n, chunks, release });
    console.info(`answer of 3 chunks in 2 batches + finish: ${posted.gasUsed} gas in all`);
    expect(await auditAnswer(reader, zk, query, posted)).toMatchObject({ verifiedOffChain: true });

    // The same proofs to another query with the default limit: one postAnswer transaction.
    const small = await postQuery();
    const single = await oneTx.postAnswer(small.queryId, 1n, chunks, release);
    expect((await reader.answerProofs(single.txHash)).transactions).toEqual([single.txHash]);
    expect(await auditAnswer(reader, zk, small, single)).toMatchObject({ verifiedOffChain: true });
  });

  it('continues an answer a restarted node left half posted, proving again with the same blindings', async () => {
    const query = await postQuery();
    // The node posted chunk 0, then stopped.
    const { chunks: before } = calldata(answer);
    await hospitalSender.send(batched.contract, cohortRegistryInterface.encodeFunctionData('postAnswerChunks', [query.queryId, 1n, 0n, [before[0]]]));
    const partial = await batched.answerProgress(query.queryId, member);
    expect(partial).toEqual({ epoch: 1n, nextIndex: 1, aggregate: [before[0]!.signals[0], before[0]!.signals[1]] });

    await expect(batched.postAnswer(query.queryId, 2n, before, toProofCalldata(answer.release))).rejects.toMatchObject({ reason: 'AnswerEpochMismatch' });
    const again = calldata(await prove());
    expect(again.chunks.map((c) => c.signals)).toEqual(before.map((c) => c.signals));
    expect(again.chunks[0]!.a).not.toEqual(before[0]!.a);
    const posted = await batched.postAnswer(query.queryId, 1n, again.chunks, again.release);
    const proofs = await reader.answerProofs(posted.txHash);
    expect(proofs.transactions).toHaveLength(3);
    expect(proofs.chunks).toEqual([before[0], ...again.chunks.slice(1)]);
    expect(await auditAnswer(reader, zk, query, posted)).toMatchObject({ verifiedOffChain: true });
  });

  it('refuses, before sending anything, batches over chunk roots the member did not commit', async () => {
    const query = await postQuery();
    const { chunks, release } = calldata(answer);
    const swapped: ProofCalldata[] = [chunks[1]!, chunks[0]!, chunks[2]!];
    const refusal = await batched.postAnswer(query.queryId, 1n, swapped, release).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(CohortRejectedError);
    expect(refusal).toMatchObject({ reason: 'ChunkRootsMismatch', args: [member, 1n] });
    expect(await batched.answerProgress(query.queryId, member)).toBeNull();
  });
});
