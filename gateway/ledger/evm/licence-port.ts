import { Interface, type InterfaceAbi, type JsonRpcProvider, type Log } from 'ethers';
import { artifacts } from '../../../chaincode/evm/artifacts.js';
import { LicenceRejectedError } from '../licence-errors.js';
import type { Hex, LedgerTx, LicenceChainEvent, LicencePort, LicenceRecord } from '../ports.js';
import { EvmRegistryPort, type RegistryRefusals } from './registry-port.js';
import { decodeRevert } from './revert.js';
import type { TxSender } from './tx-sender.js';

export const licenceRegistryInterface = new Interface(artifacts.LicenceRegistry.abi as InterfaceAbi);

const ERROR_PREFIX = 'LicenceRegistry';
const REFUSALS: RegistryRefusals = { errorPrefix: ERROR_PREFIX, rejected: LicenceRejectedError, readOnlyMessage: "this LicenceRegistry port is read-only: open it with the LICENSING member's key to issue or revoke" };
const topics = {
  issued: licenceRegistryInterface.getEvent('LicenceIssued')!.topicHash,
  revoked: licenceRegistryInterface.getEvent('LicenceRevoked')!.topicHash,
};

interface OnChainLicence {
  issuerMember: string;
  subject: string;
  validFrom: bigint;
  validUntil: bigint;
  revokedAt: bigint;
}

/** LicencePort over LicenceRegistry on any EVM JSON-RPC node; writes go through the node's one TxSender. */
export class EvmLicencePort extends EvmRegistryPort implements LicencePort {
  constructor(
    address: string,
    provider: JsonRpcProvider,
    /** null for a read-only port (a verifier, or a client opened without a key). */
    sender: TxSender | null,
  ) {
    super(address, licenceRegistryInterface, provider, sender, REFUSALS);
  }

  async issue(credentialHash: Hex, subject: Hex, validFrom: number, validUntil: number): Promise<LedgerTx & { licence: LicenceRecord }> {
    const receipt = await this.writer.send('issue', [credentialHash, subject, validFrom, validUntil]);
    const issued = (await this.decode(receipt.logs)).find((event) => event.kind === 'issued');
    if (!issued) throw new Error(`transaction ${receipt.hash} issued no licence`);
    return issued;
  }

  async revoke(credentialHash: Hex): Promise<LedgerTx> {
    return this.blockTimes.ledgerTx(await this.writer.send('revoke', [credentialHash]));
  }

  async getLicence(credentialHash: Hex): Promise<LicenceRecord | null> {
    try {
      return toRecord(credentialHash, (await this.registry.getFunction('getLicence')(credentialHash)) as OnChainLicence);
    } catch (error) {
      if (decodeRevert(error, licenceRegistryInterface)?.name === `${ERROR_PREFIX}UnknownCredential`) return null;
      throw error;
    }
  }

  async licencesOf(subject: Hex): Promise<LicenceRecord[]> {
    const count = Number((await this.registry.getFunction('licenceCount')(subject)) as bigint);
    const hashes = await Promise.all(
      Array.from({ length: count }, async (_, i) => ((await this.registry.getFunction('licenceOf')(subject, i)) as string).toLowerCase() as Hex),
    );
    const records = await Promise.all(hashes.map((hash) => this.getLicence(hash)));
    return records.filter((record): record is LicenceRecord => record !== null);
  }

  async isValid(credentialHash: Hex, subject: Hex, at: number): Promise<boolean> {
    return (await this.registry.getFunction('isValid')(credentialHash, subject, at)) as boolean;
  }

  async latestBlock(): Promise<number> {
    // Straight to the node: ethers caches getBlockNumber() for a while, which would delay a
    // revocation watcher's view of a fresh revocation by that much.
    return Number(await this.provider.send('eth_blockNumber', []));
  }

  async events(fromBlock: number, toBlock: number): Promise<LicenceChainEvent[]> {
    if (toBlock < fromBlock) return [];
    const logs = await this.provider.getLogs({ address: this.contract, topics: [[topics.issued, topics.revoked]], fromBlock, toBlock });
    return this.decode(logs);
  }

  private async decode(logs: readonly Log[]): Promise<LicenceChainEvent[]> {
    const out: LicenceChainEvent[] = [];
    for (const log of logs) {
      if (log.address.toLowerCase() !== this.contract) continue;
      const parsed = licenceRegistryInterface.parseLog(log);
      if (!parsed) continue;
      const tx: LedgerTx = { txHash: lower(log.transactionHash), blockNumber: log.blockNumber, blockTime: await this.blockTimes.of(log.blockNumber) };
      const a = parsed.args;
      if (parsed.name === 'LicenceIssued') {
        out.push({
          kind: 'issued',
          ...tx,
          licence: {
            credentialHash: lower(a.credentialHash),
            issuerMember: lower(a.issuerMember),
            subject: lower(a.subject),
            validFrom: Number(a.validFrom),
            validUntil: Number(a.validUntil),
            revokedAt: null,
          },
        });
      } else if (parsed.name === 'LicenceRevoked') {
        out.push({ kind: 'revoked', ...tx, credentialHash: lower(a.credentialHash), subject: lower(a.subject) });
      }
    }
    return out;
  }
}

function toRecord(credentialHash: Hex, licence: OnChainLicence): LicenceRecord {
  return {
    credentialHash: credentialHash.toLowerCase() as Hex,
    issuerMember: lower(licence.issuerMember),
    subject: lower(licence.subject),
    validFrom: Number(licence.validFrom),
    validUntil: Number(licence.validUntil),
    revokedAt: licence.revokedAt === 0n ? null : Number(licence.revokedAt),
  };
}

function lower(value: unknown): Hex {
  return String(value).toLowerCase() as Hex;
}
