import type { JsonRpcProvider, TransactionReceipt } from 'ethers';
import type { Hex, LedgerTx } from '../ports.js';

/** Block timestamps (seconds since the epoch) by number, read once each: events of one block share it. */
export class BlockTimes {
  private readonly times = new Map<number, number>();

  constructor(private readonly provider: JsonRpcProvider) {}

  async of(blockNumber: number): Promise<number> {
    const cached = this.times.get(blockNumber);
    if (cached !== undefined) return cached;
    const block = await this.provider.getBlock(blockNumber);
    if (!block) throw new Error(`block ${blockNumber} is unknown to the node`);
    if (this.times.size > 1024) this.times.clear();
    this.times.set(blockNumber, block.timestamp);
    return block.timestamp;
  }

  /** The ledger transaction a mined receipt records, stamped with its block's time. */
  async ledgerTx(receipt: TransactionReceipt): Promise<LedgerTx> {
    return { txHash: receipt.hash.toLowerCase() as Hex, blockNumber: receipt.blockNumber, blockTime: await this.of(receipt.blockNumber) };
  }
}
