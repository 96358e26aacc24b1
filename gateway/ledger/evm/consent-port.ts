import { Contract, Interface, type InterfaceAbi, type JsonRpcProvider, type Log, type TransactionReceipt, ZeroAddress } from 'ethers';
import { artifacts } from '../../../chaincode/evm/artifacts.js';
import { ConsentRejectedError } from '../consent-errors.js';
import type { ConsentChainEvent, ConsentGrantRecord, ConsentPort, ConsentTermsInput, ConsentTx, Hex } from '../ports.js';
import { decodeRevert } from './revert.js';
import type { TxSender } from './tx-sender.js';

export const consentRegistryInterface = new Interface(artifacts.ConsentRegistry.abi as InterfaceAbi);

const ERROR_PREFIX = 'ConsentRegistry';
const topics = {
  granted: consentRegistryInterface.getEvent('ConsentGranted')!.topicHash,
  revoked: consentRegistryInterface.getEvent('ConsentRevoked')!.topicHash,
  emergency: consentRegistryInterface.getEvent('EmergencyAccessed')!.topicHash,
};

interface OnChainGrant {
  patient: string;
  purposes: bigint;
  notBefore: bigint;
  notAfter: bigint;
  revokedAt: bigint;
  granteeMember: string;
  granteePractitioner: string;
  scopeHash: string;
  recordedBy: string;
}

/** ConsentPort over ConsentRegistry on any EVM JSON-RPC node, sending through the node's one TxSender. */
export class EvmConsentPort implements ConsentPort {
  readonly contract: Hex;
  private readonly registry: Contract;
  private readonly blockTimes = new Map<number, number>();

  constructor(
    address: string,
    readonly chainId: number,
    private readonly provider: JsonRpcProvider,
    /** null for a read-only port (a verifier or a node without a member key). */
    private readonly sender: TxSender | null,
  ) {
    this.contract = address.toLowerCase() as Hex;
    this.registry = new Contract(this.contract, consentRegistryInterface, provider);
  }

  async nonceOf(patient: Hex): Promise<bigint> {
    return (await this.registry.getFunction('nonces')(patient)) as bigint;
  }

  async grant(terms: ConsentTermsInput, signature: Hex): Promise<ConsentTx & { grant: ConsentGrantRecord }> {
    const receipt = await this.send(consentRegistryInterface.encodeFunctionData('grant', [terms, signature]));
    const events = await this.decode(receipt.logs);
    const granted = events.find((event) => event.kind === 'granted');
    if (!granted) throw new Error(`transaction ${receipt.hash} recorded no grant`);
    return granted;
  }

  async revokeWithSignature(grantId: Hex, nonce: bigint, signature: Hex): Promise<ConsentTx> {
    return this.txOf(await this.send(consentRegistryInterface.encodeFunctionData('revokeWithSignature', [grantId, nonce, signature])));
  }

  async recordEmergencyAccess(accessor: Hex, patient: Hex, reasonHash: Hex): Promise<ConsentTx> {
    return this.txOf(
      await this.send(consentRegistryInterface.encodeFunctionData('recordEmergencyAccess', [accessor, patient, reasonHash])),
    );
  }

  async getGrant(grantId: Hex): Promise<ConsentGrantRecord | null> {
    try {
      const grant = (await this.registry.getFunction('getGrant')(grantId)) as OnChainGrant;
      return toRecord(grantId, grant);
    } catch (error) {
      if (decodeRevert(error, consentRegistryInterface)?.name === `${ERROR_PREFIX}UnknownGrant`) return null;
      throw error;
    }
  }

  async latestBlock(): Promise<number> {
    // Straight to the node: ethers caches getBlockNumber() for a while, which would delay the
    // grant cache's view of a fresh revocation by that much.
    return Number(await this.provider.send('eth_blockNumber', []));
  }

  async events(fromBlock: number, toBlock: number): Promise<ConsentChainEvent[]> {
    if (toBlock < fromBlock) return [];
    const logs = await this.provider.getLogs({
      address: this.contract,
      topics: [[topics.granted, topics.revoked, topics.emergency]],
      fromBlock,
      toBlock,
    });
    return this.decode(logs);
  }

  private async send(data: string): Promise<TransactionReceipt> {
    if (!this.sender) throw new Error('this ConsentRegistry port is read-only: it was opened without a member key');
    try {
      return await this.sender.send(this.contract, data);
    } catch (error) {
      const decoded = decodeRevert(error, consentRegistryInterface);
      if (decoded?.name.startsWith(ERROR_PREFIX)) {
        throw new ConsentRejectedError(decoded.name.slice(ERROR_PREFIX.length), [...decoded.args]);
      }
      throw error;
    }
  }

  private async txOf(receipt: TransactionReceipt): Promise<ConsentTx> {
    return { txHash: receipt.hash.toLowerCase() as Hex, blockNumber: receipt.blockNumber, blockTime: await this.blockTime(receipt.blockNumber) };
  }

  private async decode(logs: readonly Log[]): Promise<ConsentChainEvent[]> {
    const out: ConsentChainEvent[] = [];
    for (const log of logs) {
      if (log.address.toLowerCase() !== this.contract) continue;
      const parsed = consentRegistryInterface.parseLog(log);
      if (!parsed) continue;
      const tx: ConsentTx = {
        txHash: log.transactionHash.toLowerCase() as Hex,
        blockNumber: log.blockNumber,
        blockTime: await this.blockTime(log.blockNumber),
      };
      const a = parsed.args;
      if (parsed.name === 'ConsentGranted') {
        out.push({
          kind: 'granted',
          ...tx,
          grant: {
            grantId: lower(a.grantId),
            patient: lower(a.patient),
            granteeMember: lower(a.granteeMember),
            granteePractitioner: lower(a.granteePractitioner),
            scopeHash: lower(a.scopeHash),
            purposes: Number(a.purposes),
            notBefore: Number(a.notBefore),
            notAfter: Number(a.notAfter),
            recordedBy: lower(a.recordedBy),
            revokedAt: null,
          },
        });
      } else if (parsed.name === 'ConsentRevoked') {
        out.push({ kind: 'revoked', ...tx, grantId: lower(a.grantId), patient: lower(a.patient) });
      } else if (parsed.name === 'EmergencyAccessed') {
        out.push({
          kind: 'emergency',
          ...tx,
          accessor: lower(a.accessor),
          patient: lower(a.patient),
          servingMember: lower(a.servingMember),
          reasonHash: lower(a.reasonHash),
        });
      }
    }
    return out;
  }

  private async blockTime(blockNumber: number): Promise<number> {
    const cached = this.blockTimes.get(blockNumber);
    if (cached !== undefined) return cached;
    const block = await this.provider.getBlock(blockNumber);
    if (!block) throw new Error(`block ${blockNumber} is unknown to the node`);
    if (this.blockTimes.size > 1024) this.blockTimes.clear();
    this.blockTimes.set(blockNumber, block.timestamp);
    return block.timestamp;
  }
}

function toRecord(grantId: Hex, grant: OnChainGrant): ConsentGrantRecord | null {
  if (grant.patient === ZeroAddress) return null;
  return {
    grantId: grantId.toLowerCase() as Hex,
    patient: lower(grant.patient),
    granteeMember: lower(grant.granteeMember),
    granteePractitioner: lower(grant.granteePractitioner),
    scopeHash: lower(grant.scopeHash),
    purposes: Number(grant.purposes),
    notBefore: Number(grant.notBefore),
    notAfter: Number(grant.notAfter),
    recordedBy: lower(grant.recordedBy),
    revokedAt: grant.revokedAt === 0n ? null : Number(grant.revokedAt),
  };
}

function lower(value: unknown): Hex {
  return String(value).toLowerCase() as Hex;
}
