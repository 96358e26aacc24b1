import { Contract, type Interface, type JsonRpcProvider, type TransactionReceipt } from 'ethers';
import type { Hex } from '../ports.js';
import { BlockTimes } from './block-times.js';
import { decodeRevert } from './revert.js';
import type { TxSender } from './tx-sender.js';

/** A capability's typed refusal, built from the registry's error name (without its prefix) and arguments. */
export type RegistryRejection = new (reason: string, args: readonly unknown[]) => Error;

/** How one registry refuses: the prefix of its custom errors, the typed rejection, the read-only message. */
export interface RegistryRefusals {
  /** The contract name every custom error of the registry starts with, e.g. 'LicenceRegistry'. */
  errorPrefix: string;
  rejected: RegistryRejection;
  /** What a write on a read-only port says, naming the key it needs. */
  readOnlyMessage: string;
}

/**
 * Sends a port's writes to one registry through the node's one TxSender and turns the registry's
 * own custom errors into the capability's typed rejection, so callers branch on a reason rather
 * than on ethers' revert shapes; any other failure (node down, out of gas) passes through as is.
 */
export class RegistryWriter {
  constructor(
    private readonly contract: Hex,
    private readonly registry: Interface,
    /** null for a read-only port (a verifier, a payer, a client opened without a key). */
    private readonly sender: TxSender | null,
    private readonly refusals: RegistryRefusals,
  ) {}

  async send(method: string, args: readonly unknown[]): Promise<TransactionReceipt> {
    const { errorPrefix, rejected, readOnlyMessage } = this.refusals;
    if (!this.sender) throw new Error(readOnlyMessage);
    try {
      return await this.sender.send(this.contract, this.registry.encodeFunctionData(method, args));
    } catch (error) {
      const decoded = decodeRevert(error, this.registry);
      if (decoded?.name.startsWith(errorPrefix)) throw new rejected(decoded.name.slice(errorPrefix.length), [...decoded.args]);
      throw error;
    }
  }
}

/**
 * What every EVM registry port holds: the registry's address (lowercase), a read handle, the
 * block-time cache its transactions and events are stamped from, and its writer.
 */
export abstract class EvmRegistryPort {
  readonly contract: Hex;
  protected readonly registry: Contract;
  protected readonly blockTimes: BlockTimes;
  protected readonly writer: RegistryWriter;

  constructor(address: string, iface: Interface, protected readonly provider: JsonRpcProvider, sender: TxSender | null, refusals: RegistryRefusals) {
    this.contract = address.toLowerCase() as Hex;
    this.registry = new Contract(this.contract, iface, provider);
    this.blockTimes = new BlockTimes(provider);
    this.writer = new RegistryWriter(this.contract, iface, sender, refusals);
  }
}
