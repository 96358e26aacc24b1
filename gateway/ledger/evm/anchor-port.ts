import { Contract, type JsonRpcProvider, type Log, ZeroHash, toBeHex, zeroPadValue } from 'ethers';
import {
  AnchorDuplicateError,
  AnchorGapError,
  AnchorInvalidError,
  AnchorNotAuthorizedError,
  AnchorPrevRootMismatchError,
  AnchorRootExistsError,
} from '../anchor-errors.js';
import type { AnchorPort, AnchorRecord, AnchorSubmission, Hex } from '../ports.js';
import { anchorRegistryInterface } from './contracts.js';
import { decodeRevert } from './revert.js';
import type { TxSender } from './tx-sender.js';

interface OnChainAnchor {
  root: string;
  prevRoot: string;
  leafCount: bigint;
  blockNumber: bigint;
  timestamp: bigint;
  submitter: string;
}

const anchoredTopic = anchorRegistryInterface.getEvent('Anchored')!.topicHash;

/** AnchorPort over AnchorRegistry on any EVM JSON-RPC node (anvil, Besu). */
export class EvmAnchorPort implements AnchorPort {
  private readonly registry: Contract;

  constructor(
    readonly memberId: Hex,
    private readonly address: Hex,
    private readonly chainId: number,
    private readonly provider: JsonRpcProvider,
    /** null for a read-only port: a payer verifying receipts holds no member key. */
    private readonly sender: TxSender | null,
  ) {
    this.registry = new Contract(address, anchorRegistryInterface, provider);
  }

  /** A port that only reads anchors (any member's), for verifiers. */
  static reader(address: Hex, chainId: number, provider: JsonRpcProvider): EvmAnchorPort {
    return new EvmAnchorPort(ZeroHash as Hex, address, chainId, provider, null);
  }

  async latestSequence(member: Hex): Promise<bigint> {
    return (await this.registry.getFunction('latestSequence')(member)) as bigint;
  }

  async submitAnchor(submission: AnchorSubmission): Promise<AnchorRecord> {
    const data = anchorRegistryInterface.encodeFunctionData('anchor', [
      submission.sequence,
      submission.root,
      submission.leafCount,
      submission.prevRoot,
    ]);
    if (!this.sender) throw new Error('this AnchorRegistry port is read-only: it was opened without a member key');
    let receipt;
    try {
      receipt = await this.sender.send(this.address, data);
    } catch (error) {
      throw toAnchorError(error) ?? error;
    }
    const log = receipt.logs.find((l) => l.address.toLowerCase() === this.address && l.topics[0] === anchoredTopic);
    if (!log) throw new Error(`transaction ${receipt.hash} anchored nothing`);
    const block = await this.provider.getBlock(receipt.blockNumber);
    if (!block) throw new Error(`block ${receipt.blockNumber} of transaction ${receipt.hash} is unknown to the node`);
    return this.recordFromLog(log, block.timestamp);
  }

  async getAnchor(member: Hex, sequence: bigint): Promise<AnchorRecord | null> {
    const anchor = (await this.registry.getFunction('getAnchor')(member, sequence)) as OnChainAnchor;
    if (anchor.root === ZeroHash) return null;
    // The contract stores the block of each anchor, so the event lookup scans exactly one block.
    const block = Number(anchor.blockNumber);
    const logs = await this.provider.getLogs({
      address: this.address,
      topics: [anchoredTopic, member, zeroPadValue(toBeHex(sequence), 32)],
      fromBlock: block,
      toBlock: block,
    });
    if (logs.length !== 1) throw new Error(`expected one Anchored event for ${member}#${sequence} in block ${block}, found ${logs.length}`);
    return this.recordFromLog(logs[0]!, Number(anchor.timestamp));
  }

  async findByRoot(root: Hex): Promise<AnchorRecord | null> {
    const [member, sequence] = (await this.registry.getFunction('anchorOfRoot')(root)) as [string, bigint];
    if (sequence === 0n) return null;
    return this.getAnchor(member.toLowerCase() as Hex, sequence);
  }

  async ping(): Promise<boolean> {
    try {
      await this.provider.getBlockNumber();
      return true;
    } catch {
      return false;
    }
  }

  private recordFromLog(log: Log, blockTime: number): AnchorRecord {
    const event = anchorRegistryInterface.parseLog(log)!;
    return {
      member: lower(event.args.member),
      submitter: lower(event.args.submitter),
      sequence: event.args.sequence as bigint,
      root: lower(event.args.root),
      leafCount: Number(event.args.leafCount),
      prevRoot: lower(event.args.prevRoot),
      txHash: lower(log.transactionHash),
      blockNumber: log.blockNumber,
      blockTime,
      chainId: this.chainId,
      contract: this.address,
    };
  }
}

function lower(value: string): Hex {
  return value.toLowerCase() as Hex;
}

function toAnchorError(error: unknown): Error | null {
  const revert = decodeRevert(error, anchorRegistryInterface);
  if (!revert) return null;
  const a = revert.args;
  switch (revert.name) {
    case 'AnchorRegistryGap':
      return new AnchorGapError(lower(a[0]), a[1], a[2]);
    case 'AnchorRegistryDuplicate':
      return new AnchorDuplicateError(lower(a[0]), a[1], lower(a[2]));
    case 'AnchorRegistryPrevRootMismatch':
      return new AnchorPrevRootMismatchError(lower(a[0]), lower(a[1]), lower(a[2]));
    case 'AnchorRegistryRootExists':
      return new AnchorRootExistsError(lower(a[0]), lower(a[1]), a[2]);
    case 'AnchorRegistryNotHospital':
      return new AnchorNotAuthorizedError(lower(a[0]));
    case 'AnchorRegistryZeroRoot':
      return new AnchorInvalidError('zero-root');
    case 'AnchorRegistryEmptyBatch':
      return new AnchorInvalidError('empty-batch');
    default:
      return null;
  }
}
