import { Interface, type InterfaceAbi, type JsonRpcProvider } from 'ethers';
import { artifacts } from '../../../chaincode/evm/artifacts.js';
import { ClaimRejectedError } from '../claim-errors.js';
import type { ClaimFingerprintPort, ClaimFingerprintRecord, ClaimLineRegistration, Hex, LedgerTx } from '../ports.js';
import { EvmRegistryPort, type RegistryRefusals } from './registry-port.js';
import type { TxSender } from './tx-sender.js';

export const claimRegistryInterface = new Interface(artifacts.ClaimRegistry.abi as InterfaceAbi);

const ERROR_PREFIX = 'ClaimRegistry';
const REFUSALS: RegistryRefusals = { errorPrefix: ERROR_PREFIX, rejected: ClaimRejectedError, readOnlyMessage: 'this ClaimRegistry port is read-only: it was opened without a member key' };
const registeredTopic = claimRegistryInterface.getEvent('ClaimLineRegistered')!.topicHash;
/** ClaimRegistry.MAX_LINES. */
const MAX_LINES = 128;

interface OnChainRegistration {
  member: string;
  claimTag: string;
  anchorSequence: bigint;
  blockNumber: bigint;
  timestamp: bigint;
}

/**
 * ClaimFingerprintPort over ClaimRegistry. Registrations come from one view call (the contract
 * keeps them per fingerprint in chain order), so a payer needs no log scan over the chain's whole
 * history; only the transaction hashes are read from the events of the blocks the view names.
 */
export class EvmClaimFingerprintPort extends EvmRegistryPort implements ClaimFingerprintPort {
  readonly maxLinesPerCall = MAX_LINES;

  constructor(
    address: string,
    provider: JsonRpcProvider,
    /** null for a read-only port: a payer holds no member key. */
    sender: TxSender | null,
  ) {
    super(address, claimRegistryInterface, provider, sender, REFUSALS);
  }

  async register(anchorSequence: bigint, lines: ClaimLineRegistration[]): Promise<LedgerTx> {
    const receipt = await this.writer.send('register', [anchorSequence, lines.map((l) => l.claimTag), lines.map((l) => l.fingerprint)]);
    return this.blockTimes.ledgerTx(receipt);
  }

  async isRegistered(fingerprint: Hex, member: Hex, claimTag: Hex): Promise<boolean> {
    return (await this.registry.getFunction('isRegistered')(fingerprint, member, claimTag)) as boolean;
  }

  async registrations(fingerprint: Hex): Promise<ClaimFingerprintRecord[]> {
    const found = (await this.registry.getFunction('registrationsOf')(fingerprint)) as OnChainRegistration[];
    if (found.length === 0) return [];
    // One block per query: registrations of one fingerprint can lie further apart than the
    // block range Besu serves in one eth_getLogs.
    const blocks = [...new Set(found.map((r) => Number(r.blockNumber)))];
    const perBlock = await Promise.all(
      blocks.map((block) => this.provider.getLogs({ address: this.contract, topics: [registeredTopic, fingerprint], fromBlock: block, toBlock: block })),
    );
    const logs = perBlock.flat();
    const events = logs.map((log) => ({ log, args: claimRegistryInterface.parseLog(log)!.args }));
    return found.map((r) => {
      const member = lower(r.member);
      const claimTag = lower(r.claimTag);
      const event = events.find(
        (e) => e.log.blockNumber === Number(r.blockNumber) && lower(e.args.member as string) === member && lower(e.args.claimTag as string) === claimTag,
      );
      if (!event) throw new Error(`no ClaimLineRegistered event for ${fingerprint} by ${member} in block ${r.blockNumber}`);
      return {
        fingerprint: fingerprint.toLowerCase() as Hex,
        member,
        claimTag,
        anchorSequence: r.anchorSequence,
        txHash: lower(event.log.transactionHash),
        blockNumber: Number(r.blockNumber),
        blockTime: Number(r.timestamp),
      };
    });
  }
}

function lower(value: string): Hex {
  return value.toLowerCase() as Hex;
}
