import { Interface, type InterfaceAbi, type JsonRpcProvider, type Log, ZeroAddress } from 'ethers';
import { artifacts } from '../../../chaincode/evm/artifacts.js';
import { ConsentRejectedError } from '../consent-errors.js';
import type { ConsentChainEvent, ConsentGrantRecord, ConsentPort, ConsentTermsInput, ConsentTx, Hex } from '../ports.js';
import { EvmRegistryPort, type RegistryRefusals } from './registry-port.js';
import { decodeRevert } from './revert.js';
import type { TxSender } from './tx-sender.js';

export const consentRegistryInterface = new Interface(artifacts.ConsentRegistry.abi as InterfaceAbi);

const ERROR_PREFIX = 'ConsentRegistry';
const REFUSALS: RegistryRefusals = { errorPrefix: ERROR_PREFIX, rejected: ConsentRejectedError, readOnlyMessage: 'this ConsentRegistry port is read-only: it was opened without a member key' };
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
export class EvmConsentPort extends EvmRegistryPort implements ConsentPort {
  constructor(
    address: string,
    readonly chainId: number,
    provider: JsonRpcProvider,
    /** null for a read-only port (a verifier or a node without a member key). */
    sender: TxSender | null,
  ) {
    super(address, consentRegistryInterface, provider, sender, REFUSALS);
  }

  async nonceOf(patient: Hex): Promise<bigint> {
    return (await this.registry.getFunction('nonces')(patient)) as bigint;
  }

  async grant(terms: ConsentTermsInput, signature: Hex): Promise<ConsentTx & { grant: ConsentGrantRecord }> {
    const receipt = await this.writer.send('grant', [terms, signature]);
    const events = await this.decode(receipt.logs);
    const granted = events.find((event) => event.kind === 'granted');
    if (!granted) throw new Error(`transaction ${receipt.hash} recorded no grant`);
    return granted;
  }

  async revokeWithSignature(grantId: Hex, nonce: bigint, signature: Hex): Promise<ConsentTx> {
    return this.blockTimes.ledgerTx(await this.writer.send('revokeWithSignature', [grantId, nonce, signature]));
  }

  async recordEmergencyAccess(accessor: Hex, patient: Hex, reasonHash: Hex): Promise<ConsentTx> {
    return this.blockTimes.ledgerTx(await this.writer.send('recordEmergencyAccess', [accessor, patient, reasonHash]));
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

  private async decode(logs: readonly Log[]): Promise<ConsentChainEvent[]> {
    const out: ConsentChainEvent[] = [];
    for (const log of logs) {
      if (log.address.toLowerCase() !== this.contract) continue;
      const parsed = consentRegistryInterface.parseLog(log);
      if (!parsed) continue;
      const tx: ConsentTx = {
        txHash: log.transactionHash.toLowerCase() as Hex,
        blockNumber: log.blockNumber,
        blockTime: await this.blockTimes.of(log.blockNumber),
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
