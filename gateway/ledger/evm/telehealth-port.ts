import { Interface, type InterfaceAbi, type JsonRpcProvider, type Log, ZeroHash } from 'ethers';
import { artifacts } from '../../../chaincode/evm/artifacts.js';
import type { Hex, LedgerTx, TelehealthChainEvent, TelehealthPort, TelehealthSessionOpening, TelehealthSessionRecord } from '../ports.js';
import { TelehealthRejectedError } from '../telehealth-errors.js';
import { EvmRegistryPort, type RegistryRefusals } from './registry-port.js';
import { decodeRevert } from './revert.js';
import type { TxSender } from './tx-sender.js';

export const telehealthRegistryInterface = new Interface(artifacts.TelehealthRegistry.abi as InterfaceAbi);

const ERROR_PREFIX = 'TelehealthRegistry';
const REFUSALS: RegistryRefusals = { errorPrefix: ERROR_PREFIX, rejected: TelehealthRejectedError, readOnlyMessage: 'this TelehealthRegistry port is read-only: it was opened without a member key' };
const EVENTS = ['SessionOpened', 'ParticipantInvited', 'InvitationWithdrawn', 'SessionEscalated', 'SessionClosed'] as const;
const topics = EVENTS.map((name) => telehealthRegistryInterface.getEvent(name)!.topicHash);

interface OnChainSession {
  hostMember: string;
  homeMember: string;
  consentGrantId: string;
  patient: string;
  openedAt: bigint;
  closedAt: bigint;
  finalState: bigint;
  eventLogRoot: string;
}

/**
 * TelehealthPort over TelehealthRegistry on any EVM JSON-RPC node. Writes go through the node's one
 * TxSender (one key, one nonce sequence) and resolve once mined; the telehealth capability sends
 * them off the participants' path, so nobody waits for a block.
 */
export class EvmTelehealthPort extends EvmRegistryPort implements TelehealthPort {
  constructor(
    address: string,
    provider: JsonRpcProvider,
    /** null for a read-only port. */
    sender: TxSender | null,
  ) {
    super(address, telehealthRegistryInterface, provider, sender, REFUSALS);
  }

  async openSession(opening: TelehealthSessionOpening): Promise<LedgerTx> {
    const { sessionIdHash, homeMember, patient, consentGrantId } = opening;
    return this.write('openSession', [sessionIdHash, homeMember, patient, consentGrantId]);
  }

  async invite(sessionIdHash: Hex, invitedMember: Hex, practitionerHash: Hex, role: number): Promise<LedgerTx> {
    return this.write('invite', [sessionIdHash, invitedMember, practitionerHash, role]);
  }

  async withdrawInvitation(sessionIdHash: Hex, invitedMember: Hex, practitionerHash: Hex): Promise<LedgerTx> {
    return this.write('withdrawInvitation', [sessionIdHash, invitedMember, practitionerHash]);
  }

  async escalate(sessionIdHash: Hex, severity: number, reasonHash: Hex): Promise<LedgerTx> {
    return this.write('escalate', [sessionIdHash, severity, reasonHash]);
  }

  async closeSession(sessionIdHash: Hex, finalState: number, eventLogRoot: Hex): Promise<LedgerTx> {
    return this.write('closeSession', [sessionIdHash, finalState, eventLogRoot]);
  }

  async getSession(sessionIdHash: Hex): Promise<TelehealthSessionRecord | null> {
    try {
      return toRecord(sessionIdHash, (await this.registry.getFunction('getSession')(sessionIdHash)) as OnChainSession);
    } catch (error) {
      if (decodeRevert(error, telehealthRegistryInterface)?.name === `${ERROR_PREFIX}UnknownSession`) return null;
      throw error;
    }
  }

  async isInvited(sessionIdHash: Hex, invitedMember: Hex, practitionerHash: Hex): Promise<boolean> {
    return (await this.registry.getFunction('isInvited')(sessionIdHash, invitedMember, practitionerHash)) as boolean;
  }

  async invitationRole(sessionIdHash: Hex, invitedMember: Hex, practitionerHash: Hex): Promise<number | null> {
    const role = Number(await this.registry.getFunction('invitationRole')(sessionIdHash, invitedMember, practitionerHash));
    return role === 0 ? null : role;
  }

  async licenceRegistry(): Promise<Hex> {
    return lower(await this.registry.getFunction('licences')());
  }

  async latestBlock(): Promise<number> {
    return Number(await this.provider.send('eth_blockNumber', []));
  }

  async events(fromBlock: number, toBlock: number): Promise<TelehealthChainEvent[]> {
    if (toBlock < fromBlock) return [];
    return this.decode(await this.provider.getLogs({ address: this.contract, topics: [topics], fromBlock, toBlock }));
  }

  private async write(method: string, args: unknown[]): Promise<LedgerTx> {
    return this.blockTimes.ledgerTx(await this.writer.send(method, args));
  }

  private async decode(logs: readonly Log[]): Promise<TelehealthChainEvent[]> {
    const out: TelehealthChainEvent[] = [];
    for (const log of logs) {
      if (log.address.toLowerCase() !== this.contract) continue;
      const parsed = telehealthRegistryInterface.parseLog(log);
      if (!parsed) continue;
      const tx: LedgerTx = { txHash: lower(log.transactionHash), blockNumber: log.blockNumber, blockTime: await this.blockTimes.of(log.blockNumber) };
      const a = parsed.args;
      const sessionIdHash = lower(a.sessionIdHash);
      switch (parsed.name) {
        case 'SessionOpened':
          out.push({
            kind: 'opened',
            ...tx,
            session: { sessionIdHash, hostMember: lower(a.hostMember), homeMember: lower(a.homeMember), patient: lower(a.patient), consentGrantId: lower(a.consentGrantId) },
          });
          break;
        case 'ParticipantInvited':
          out.push({ kind: 'invited', ...tx, sessionIdHash, invitedMember: lower(a.invitedMember), practitionerHash: lower(a.practitionerHash), role: Number(a.role) });
          break;
        case 'InvitationWithdrawn':
          out.push({ kind: 'invitation-withdrawn', ...tx, sessionIdHash, invitedMember: lower(a.invitedMember), practitionerHash: lower(a.practitionerHash) });
          break;
        case 'SessionEscalated':
          out.push({ kind: 'escalated', ...tx, sessionIdHash, severity: Number(a.severity), reasonHash: lower(a.reasonHash) });
          break;
        case 'SessionClosed':
          out.push({ kind: 'closed', ...tx, sessionIdHash, finalState: Number(a.finalState), eventLogRoot: lower(a.eventLogRoot) });
          break;
      }
    }
    return out;
  }
}

function toRecord(sessionIdHash: Hex, s: OnChainSession): TelehealthSessionRecord {
  const closed = s.closedAt !== 0n;
  return {
    sessionIdHash: sessionIdHash.toLowerCase() as Hex,
    hostMember: lower(s.hostMember),
    homeMember: lower(s.homeMember),
    patient: lower(s.patient),
    consentGrantId: lower(s.consentGrantId),
    openedAt: Number(s.openedAt),
    closedAt: closed ? Number(s.closedAt) : null,
    finalState: closed ? Number(s.finalState) : null,
    eventLogRoot: closed && s.eventLogRoot !== ZeroHash ? lower(s.eventLogRoot) : null,
  };
}

function lower(value: unknown): Hex {
  return String(value).toLowerCase() as Hex;
}
