import {
  Contract,
  Interface,
  type InterfaceAbi,
  type JsonRpcProvider,
  type Log,
  type TransactionReceipt,
  solidityPackedKeccak256,
  toBeHex,
  ZeroHash,
  zeroPadValue,
} from 'ethers';
import { artifacts } from '../../../chaincode/evm/artifacts.js';
import { CohortRejectedError } from '../cohort-errors.js';
import type {
  CohortAnswerProgress,
  CohortAnswerProofs,
  CohortAnswerRecord,
  CohortChainEvent,
  CohortCommitment,
  CohortPort,
  CohortQueryRecord,
  CohortTx,
  EligibilityAcceptance,
  Hex,
  ProofCalldata,
} from '../ports.js';
import { type RegistryRefusals, RegistryWriter } from './registry-port.js';
import type { TxSender } from './tx-sender.js';

export const cohortRegistryInterface = new Interface(artifacts.CohortRegistry.abi as InterfaceAbi);
const consortiumInterface = new Interface(artifacts.ConsortiumRegistry.abi as InterfaceAbi);

/**
 * Chunk proofs per postAnswerChunks transaction. Each chunk costs ~222k gas (a Groth16
 * verification, a Baby Jubjub addition, 384 bytes of calldata): a batch of 48 measured 10.7M gas,
 * 12.9M with TxSender's 20% headroom: well inside a 30M block (anvil's default; the Besu genesis
 * has no practical limit) with room for other members' transactions, and under the 2^24 gas
 * per-transaction cap (EIP-7825) of newer clients. Answers of at most this many chunks go in one
 * postAnswer transaction.
 */
const CHUNKS_PER_TRANSACTION = 48;

export interface EvmCohortPortOptions {
  /** Lowered in tests to exercise several transactions with few proofs. */
  chunksPerTransaction?: number;
}

const ERROR_PREFIX = 'CohortRegistry';
const READ_ONLY = 'this CohortRegistry port is read-only: it was opened without a member key';
const REFUSALS: RegistryRefusals = { errorPrefix: ERROR_PREFIX, rejected: CohortRejectedError, readOnlyMessage: READ_ONLY };
const topics = {
  committed: cohortRegistryInterface.getEvent('RecordsCommitted')!.topicHash,
  query: cohortRegistryInterface.getEvent('QueryPosted')!.topicHash,
  answer: cohortRegistryInterface.getEvent('AnswerPosted')!.topicHash,
  chunks: cohortRegistryInterface.getEvent('AnswerChunksPosted')!.topicHash,
  trial: cohortRegistryInterface.getEvent('TrialRegistered')!.topicHash,
  eligibility: cohortRegistryInterface.getEvent('EligibilityAccepted')!.topicHash,
};

type SolidityProof = { a: bigint[]; b: bigint[][]; c: bigint[]; signals: bigint[] };

/** CohortPort over CohortRegistry on any EVM JSON-RPC node, sending through the node's one TxSender. */
export class EvmCohortPort implements CohortPort {
  readonly contract: Hex;
  private readonly registry: Contract;
  private readonly chunksPerTransaction: number;
  private readonly writer: RegistryWriter;
  private memberId: Promise<Hex> | undefined;

  constructor(
    address: string,
    readonly chainId: number,
    private readonly provider: JsonRpcProvider,
    /** null for a read-only port (an auditor without a member key). */
    private readonly sender: TxSender | null,
    /** Where event scans start: the registry's deployment block, when known. */
    private readonly fromBlock = 0,
    options: EvmCohortPortOptions = {},
  ) {
    this.contract = address.toLowerCase() as Hex;
    this.registry = new Contract(this.contract, cohortRegistryInterface, provider);
    this.writer = new RegistryWriter(this.contract, cohortRegistryInterface, sender, REFUSALS);
    this.chunksPerTransaction = options.chunksPerTransaction ?? CHUNKS_PER_TRANSACTION;
    if (!Number.isInteger(this.chunksPerTransaction) || this.chunksPerTransaction < 1) {
      throw new Error(`chunksPerTransaction must be a positive integer, got ${this.chunksPerTransaction}`);
    }
  }

  async featureSchemaHash(): Promise<Hex> {
    return lower(await this.registry.getFunction('featureSchemaHash')());
  }

  async minCellSizeFloor(): Promise<number> {
    return Number(await this.registry.getFunction('minCellSizeFloor')());
  }

  async latestEpoch(member: Hex): Promise<bigint> {
    return (await this.registry.getFunction('latestEpoch')(member)) as bigint;
  }

  async getCommitment(member: Hex, epoch: bigint): Promise<CohortCommitment | null> {
    const logs = await this.logs([topics.committed, member, zeroPadValue(toBeHex(epoch), 32)]);
    const found = this.decode(logs).find((e) => e.kind === 'committed');
    return found?.kind === 'committed' ? found.commitment : null;
  }

  async commitRecords(epoch: bigint, root: bigint, recordCount: number, chunkRoots: bigint[]): Promise<CohortCommitment & { gasUsed: bigint }> {
    const receipt = await this.writer.send('commitRecords', [epoch, root, recordCount, chunkRoots]);
    const event = this.decode(receipt.logs).find((e) => e.kind === 'committed');
    if (event?.kind !== 'committed') throw new Error(`transaction ${receipt.hash} committed no records`);
    return { ...event.commitment, gasUsed: receipt.gasUsed };
  }

  async postQuery(criteriaHash: bigint, minCellSize: number, deadline: number, criteria: string): Promise<CohortQueryRecord> {
    const receipt = await this.writer.send('postQuery', [criteriaHash, minCellSize, deadline, criteria]);
    const event = this.decode(receipt.logs).find((e) => e.kind === 'query');
    if (event?.kind !== 'query') throw new Error(`transaction ${receipt.hash} posted no query`);
    return event.query;
  }

  async getQuery(queryId: bigint): Promise<CohortQueryRecord | null> {
    const event = this.decode(await this.logs([topics.query, zeroPadValue(toBeHex(queryId), 32)])).find((e) => e.kind === 'query');
    return event?.kind === 'query' ? event.query : null;
  }

  async postAnswer(queryId: bigint, epoch: bigint, chunks: ProofCalldata[], release: ProofCalldata): Promise<CohortAnswerRecord & { gasUsed: bigint }> {
    const member = await this.member();
    const progress = await this.answerProgress(queryId, member);
    if (!progress && chunks.length <= this.chunksPerTransaction) {
      return this.answered(await this.writer.send('postAnswer', [queryId, epoch, chunks.map(solidityProof), solidityProof(release)]), 0n);
    }
    if (progress && progress.epoch !== epoch) throw new CohortRejectedError('AnswerEpochMismatch', [queryId, member, progress.epoch, epoch]);
    // The contract sees a chunk root that is not the committed one only at finishAnswer, and a
    // partial answer cannot be restarted: such an answer would be stuck until the deadline.
    const commitment = (await this.registry.getFunction('getCommitment')(member, epoch)) as { chunkRootsDigest: string; committedAt: bigint };
    if (commitment.committedAt === 0n) throw new CohortRejectedError('UnknownEpoch', [member, epoch]);
    const digest = chunks.reduce<string>((d, chunk) => solidityPackedKeccak256(['bytes32', 'uint256'], [d, chunk.signals[2]!]), ZeroHash);
    if (digest !== commitment.chunkRootsDigest) throw new CohortRejectedError('ChunkRootsMismatch', [member, epoch]);
    let gasUsed = 0n;
    let first = progress?.nextIndex ?? 0;
    while (first < chunks.length) {
      const batch = chunks.slice(first, first + this.chunksPerTransaction).map(solidityProof);
      try {
        gasUsed += (await this.writer.send('postAnswerChunks', [queryId, epoch, first, batch])).gasUsed;
        first += batch.length;
      } catch (error) {
        // A batch sent before a restart can still be mined ahead of this one: carry on from where
        // the chain is, since the proofs (derived blindings) are the same.
        if (!(error instanceof CohortRejectedError) || error.reason !== 'ChunkIndexMismatch') throw error;
        const onChain = await this.answerProgress(queryId, member);
        if (!onChain || onChain.epoch !== epoch || onChain.nextIndex <= first) throw error;
        first = onChain.nextIndex;
      }
    }
    return this.answered(await this.writer.send('finishAnswer', [queryId, solidityProof(release)]), gasUsed);
  }

  async answerProgress(queryId: bigint, member: Hex): Promise<CohortAnswerProgress | null> {
    const p = (await this.registry.getFunction('answerProgress')(queryId, member)) as { epoch: bigint; nextIndex: bigint; aggregateX: bigint; aggregateY: bigint };
    return p.nextIndex === 0n ? null : { epoch: p.epoch, nextIndex: Number(p.nextIndex), aggregate: [p.aggregateX, p.aggregateY] };
  }

  async getAnswer(queryId: bigint, member: Hex): Promise<CohortAnswerRecord | null> {
    return (await this.answersTo(queryId, member))[0] ?? null;
  }

  async answersTo(queryId: bigint, member?: Hex): Promise<CohortAnswerRecord[]> {
    const logs = await this.logs([topics.answer, zeroPadValue(toBeHex(queryId), 32), ...(member ? [member] : [])]);
    return this.decode(logs).flatMap((e) => (e.kind === 'answer' ? [e.answer] : []));
  }

  async answerProofs(txHash: Hex): Promise<CohortAnswerProofs> {
    const call = await this.registryCall(txHash);
    if (call.name === 'postAnswer') {
      const [queryId, epoch, chunks, release] = call.args as unknown as [bigint, bigint, SolidityProof[], SolidityProof];
      return { queryId, epoch, chunks: chunks.map(proofOf), release: proofOf(release), transactions: [lower(txHash)] };
    }
    if (call.name !== 'finishAnswer') throw new Error(`transaction ${txHash} is not a postAnswer or finishAnswer call`);
    const [queryId, release] = call.args as unknown as [bigint, SolidityProof];
    const receipt = await this.provider.getTransactionReceipt(txHash);
    const posted = receipt && this.decode(receipt.logs).find((e) => e.kind === 'answer');
    if (posted?.kind !== 'answer') throw new Error(`transaction ${txHash} posted no answer`);
    const { member, epoch } = posted.answer;
    // A member posts one answer per query and a partial answer is never restarted, so every
    // batch of this member for this query up to the answer belongs to it, in order.
    const batches = await this.provider.getLogs({
      address: this.contract,
      topics: [topics.chunks, zeroPadValue(toBeHex(queryId), 32), member],
      fromBlock: this.fromBlock,
      toBlock: receipt!.blockNumber,
    });
    const chunks: ProofCalldata[] = [];
    const transactions: Hex[] = [];
    for (const log of batches) {
      const event = cohortRegistryInterface.parseLog(log)!.args;
      // An empty batch proves nothing (registries from before they were refused accepted them).
      if (event.count === 0n) continue;
      const batch = await this.registryCall(log.transactionHash as Hex);
      const [batchQuery, batchEpoch, firstIndex, proofs] = batch.args as unknown as [bigint, bigint, bigint, SolidityProof[]];
      const matches =
        batch.name === 'postAnswerChunks' &&
        batchQuery === queryId &&
        batchEpoch === epoch &&
        event.epoch === epoch &&
        Number(firstIndex) === chunks.length &&
        event.firstIndex === firstIndex &&
        event.count === BigInt(proofs.length);
      if (!matches) throw new Error(`transaction ${log.transactionHash} is not the next chunk batch of answer ${txHash}`);
      chunks.push(...proofs.map(proofOf));
      transactions.push(lower(log.transactionHash));
    }
    return { queryId, epoch, chunks, release: proofOf(release), transactions: [...transactions, lower(txHash)] };
  }

  async registerTrial(scopeId: bigint, criteriaHash: bigint): Promise<CohortTx> {
    return txOf(await this.writer.send('registerTrial', [scopeId, criteriaHash]));
  }

  async trialCriteriaHash(scopeId: bigint): Promise<bigint | null> {
    const trial = (await this.registry.getFunction('getTrial')(scopeId)) as { criteriaHash: bigint };
    return trial.criteriaHash === 0n ? null : trial.criteriaHash;
  }

  async acceptEligibility(proof: ProofCalldata): Promise<EligibilityAcceptance & CohortTx> {
    const receipt = await this.writer.send('acceptEligibility', [solidityProof(proof)]);
    const event = this.decode(receipt.logs).find((e) => e.kind === 'eligibility');
    if (event?.kind !== 'eligibility') throw new Error(`transaction ${receipt.hash} accepted no proof`);
    return { ...event.acceptance, ...txOf(receipt) };
  }

  async isNullifierSpent(scopeId: bigint, nullifier: bigint): Promise<boolean> {
    return (await this.registry.getFunction('isNullifierSpent')(scopeId, nullifier)) as boolean;
  }

  async isCommittedRoot(root: bigint): Promise<boolean> {
    return (await this.registry.getFunction('isCommittedRoot')(root)) as boolean;
  }

  async latestBlock(): Promise<number> {
    return Number(await this.provider.send('eth_blockNumber', []));
  }

  async events(fromBlock: number, toBlock: number): Promise<CohortChainEvent[]> {
    if (toBlock < fromBlock) return [];
    const logs = await this.provider.getLogs({
      address: this.contract,
      topics: [Object.values(topics)],
      fromBlock,
      toBlock,
    });
    return this.decode(logs);
  }

  private answered(receipt: TransactionReceipt, earlierGas: bigint): CohortAnswerRecord & { gasUsed: bigint } {
    const event = this.decode(receipt.logs).find((e) => e.kind === 'answer');
    if (event?.kind !== 'answer') throw new Error(`transaction ${receipt.hash} posted no answer`);
    return { ...event.answer, gasUsed: earlierGas + receipt.gasUsed };
  }

  /** The member this port's key signs for, as the registry resolves msg.sender. */
  private member(): Promise<Hex> {
    if (!this.sender) return Promise.reject(new Error(READ_ONLY));
    const signer = this.sender.address;
    this.memberId ??= (async () => {
      const consortium = new Contract((await this.registry.getFunction('consortium')()) as string, consortiumInterface, this.provider);
      return lower(await consortium.getFunction('memberOfSigner')(signer));
    })();
    this.memberId.catch(() => (this.memberId = undefined));
    return this.memberId;
  }

  private async registryCall(txHash: Hex) {
    const tx = await this.provider.getTransaction(txHash);
    if (!tx || tx.to?.toLowerCase() !== this.contract) throw new Error(`transaction ${txHash} is not a call to the cohort registry`);
    const call = cohortRegistryInterface.parseTransaction({ data: tx.data });
    if (!call) throw new Error(`transaction ${txHash} is not a cohort registry call`);
    return call;
  }

  private logs(filter: (string | null)[]): Promise<Log[]> {
    return this.provider.getLogs({ address: this.contract, topics: filter, fromBlock: this.fromBlock, toBlock: 'latest' });
  }

  private decode(logs: readonly Log[]): CohortChainEvent[] {
    const out: CohortChainEvent[] = [];
    for (const log of logs) {
      if (log.address.toLowerCase() !== this.contract) continue;
      const parsed = cohortRegistryInterface.parseLog(log);
      if (!parsed) continue;
      const at = { txHash: lower(log.transactionHash), blockNumber: log.blockNumber };
      const a = parsed.args;
      switch (parsed.name) {
        case 'RecordsCommitted':
          out.push({
            kind: 'committed',
            commitment: {
              member: lower(a.member),
              epoch: a.epoch as bigint,
              root: a.root as bigint,
              recordCount: Number(a.recordCount),
              chunkRoots: [...(a.chunkRoots as bigint[])],
              ...at,
            },
          });
          break;
        case 'QueryPosted':
          out.push({
            kind: 'query',
            query: {
              queryId: a.queryId as bigint,
              researcher: lower(a.researcher),
              criteriaHash: a.criteriaHash as bigint,
              minCellSize: Number(a.minCellSize),
              deadline: Number(a.deadline),
              criteria: a.criteria as string,
              ...at,
            },
          });
          break;
        case 'AnswerPosted':
          out.push({
            kind: 'answer',
            answer: {
              queryId: a.queryId as bigint,
              member: lower(a.member),
              epoch: a.epoch as bigint,
              releasedCount: Number(a.releasedCount),
              belowMinimum: a.belowMinimum as boolean,
              ...at,
            },
          });
          break;
        case 'TrialRegistered':
          out.push({ kind: 'trial', scopeId: a.scopeId as bigint, criteriaHash: a.criteriaHash as bigint, registeredBy: lower(a.registeredBy), ...at });
          break;
        case 'EligibilityAccepted':
          out.push({
            kind: 'eligibility',
            acceptance: { scopeId: a.scopeId as bigint, nullifier: a.nullifier as bigint, root: a.root as bigint, acceptedBy: lower(a.acceptedBy) },
            ...at,
          });
          break;
      }
    }
    return out;
  }
}

function solidityProof(proof: ProofCalldata): SolidityProof {
  return { a: proof.a, b: proof.b, c: proof.c, signals: proof.signals };
}

function proofOf(p: SolidityProof): ProofCalldata {
  return {
    a: [p.a[0]!, p.a[1]!],
    b: [
      [p.b[0]![0]!, p.b[0]![1]!],
      [p.b[1]![0]!, p.b[1]![1]!],
    ],
    c: [p.c[0]!, p.c[1]!],
    signals: [...p.signals],
  };
}

function txOf(receipt: TransactionReceipt): CohortTx {
  return { txHash: lower(receipt.hash), blockNumber: receipt.blockNumber, gasUsed: receipt.gasUsed };
}

function lower(value: unknown): Hex {
  return String(value).toLowerCase() as Hex;
}
