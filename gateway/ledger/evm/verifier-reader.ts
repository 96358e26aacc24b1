// The chain reads of a receipt verifier on an EVM chain (anvil, Besu): chain identity, the link
// between the pinned registries, and ConsortiumRegistry's history. History comes from events, not
// from eth_call at an old block: Besu's default Bonsai storage serves state only for recent
// blocks, while logs are kept for every block.
import { Contract, type JsonRpcProvider, type Log, toBeHex, zeroPadValue } from 'ethers';
import type {
  AnchorRecord,
  ChainIdentity,
  ChainPosition,
  Hex,
  Member,
  MembershipChange,
  MembershipEvent,
  TelehealthRegistryLinks,
  VerifierChainReader,
} from '../ports.js';
import { anchorRegistryInterface, consortiumRegistryInterface } from './contracts.js';
import { licenceRegistryInterface } from './licence-port.js';
import { telehealthRegistryInterface } from './telehealth-port.js';
import { decodeRevert } from './revert.js';

/** Besu caps eth_getLogs at --rpc-max-logs-range blocks (1000 by default since 22.10.3). */
const LOG_WINDOW_BLOCKS = 1000;

/** The ConsortiumRegistry events that change a member; all carry the member id as topic1. */
export const MEMBERSHIP_EVENTS = ['MemberAdded', 'MemberRemoved', 'RoleGranted', 'RoleRevoked', 'SignerAdded', 'SignerRemoved'] as const;
const membershipTopics = MEMBERSHIP_EVENTS.map((name) => consortiumRegistryInterface.getEvent(name)!.topicHash);
const anchoredTopic = anchorRegistryInterface.getEvent('Anchored')!.topicHash;

interface OnChainMember {
  orgId: string;
  roles: bigint;
  active: boolean;
  signers: string[];
}

export class EvmVerifierReader implements VerifierChainReader {
  constructor(
    private readonly provider: JsonRpcProvider,
    private readonly window = LOG_WINDOW_BLOCKS,
  ) {}

  async identity(): Promise<ChainIdentity> {
    const chainId = Number(await this.provider.send('eth_chainId', []));
    const genesis = (await this.provider.send('eth_getBlockByNumber', ['0x0', false])) as { hash?: string } | null;
    if (!genesis?.hash) throw new Error('the chain did not return its block 0');
    return { chainId, genesisHash: lower(genesis.hash) };
  }

  latestBlock(): Promise<number> {
    return this.provider.getBlockNumber();
  }

  async hasCode(address: Hex): Promise<boolean> {
    return (await this.provider.getCode(address)) !== '0x';
  }

  async consortiumOf(anchorRegistry: Hex): Promise<Hex> {
    return lower((await new Contract(anchorRegistry, anchorRegistryInterface, this.provider).getFunction('consortium')()) as string);
  }

  async telehealthLinks(telehealthRegistry: Hex): Promise<TelehealthRegistryLinks> {
    const registry = new Contract(telehealthRegistry, telehealthRegistryInterface, this.provider);
    const [consortium, consents, licences] = (await Promise.all(['consortium', 'consents', 'licences'].map((name) => registry.getFunction(name)()))).map((address) => lower(address as string));
    const licencesConsortium = lower((await new Contract(licences!, licenceRegistryInterface, this.provider).getFunction('consortium')()) as string);
    return { consortium: consortium!, consents: consents!, licences: licences!, licencesConsortium };
  }

  async firstEventBlock(consortiumRegistry: Hex): Promise<number | null> {
    const latest = await this.latestBlock();
    for (let from = 0; from <= latest; from += this.window) {
      const logs = await this.provider.getLogs({ address: consortiumRegistry, fromBlock: from, toBlock: Math.min(latest, from + this.window - 1) });
      if (logs.length > 0) return logs[0]!.blockNumber;
    }
    return null;
  }

  async membershipEvents(consortiumRegistry: Hex, memberId: Hex, fromBlock: number, toBlock: number): Promise<MembershipEvent[]> {
    const events: MembershipEvent[] = [];
    for (let from = fromBlock; from <= toBlock; from += this.window) {
      const logs = await this.provider.getLogs({
        address: consortiumRegistry,
        topics: [membershipTopics, memberId],
        fromBlock: from,
        toBlock: Math.min(toBlock, from + this.window - 1),
      });
      for (const log of logs) events.push(membershipEvent(log));
    }
    return events.sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex);
  }

  async memberNow(consortiumRegistry: Hex, memberId: Hex): Promise<Member | null> {
    try {
      const member = (await new Contract(consortiumRegistry, consortiumRegistryInterface, this.provider).getFunction('getMember')(memberId)) as OnChainMember;
      return { orgId: member.orgId, roles: Number(member.roles), active: member.active, signers: member.signers.map(lower) };
    } catch (error) {
      if (decodeRevert(error, consortiumRegistryInterface)?.name === 'ConsortiumRegistryUnknownMember') return null;
      throw error;
    }
  }

  async anchorPosition(anchor: AnchorRecord): Promise<ChainPosition> {
    const receipt = await this.provider.getTransactionReceipt(anchor.txHash);
    const sequence = zeroPadValue(toBeHex(anchor.sequence), 32);
    const log = receipt?.logs.find(
      (l) =>
        l.address.toLowerCase() === anchor.contract.toLowerCase() &&
        l.topics[0] === anchoredTopic &&
        l.topics[1]?.toLowerCase() === anchor.member.toLowerCase() &&
        l.topics[2] === sequence,
    );
    if (!receipt || !log) throw new Error(`transaction ${anchor.txHash} holds no Anchored event for ${anchor.member}#${anchor.sequence}`);
    return { blockNumber: receipt.blockNumber, logIndex: log.index };
  }
}

function lower(value: string): Hex {
  return value.toLowerCase() as Hex;
}

function membershipEvent(log: Log): MembershipEvent {
  const event = consortiumRegistryInterface.parseLog(log)!;
  const args = event.args;
  let change: MembershipChange;
  switch (event.name) {
    case 'MemberAdded':
      change = { kind: 'member-added', orgId: args.orgId as string, roles: Number(args.roles) };
      break;
    case 'MemberRemoved':
      change = { kind: 'member-removed' };
      break;
    case 'RoleGranted':
      change = { kind: 'role-granted', role: Number(args.role) };
      break;
    case 'RoleRevoked':
      change = { kind: 'role-revoked', role: Number(args.role) };
      break;
    case 'SignerAdded':
      change = { kind: 'signer-added', signer: lower(args.signer as string) };
      break;
    case 'SignerRemoved':
      change = { kind: 'signer-removed', signer: lower(args.signer as string) };
      break;
    default:
      throw new Error(`unexpected ConsortiumRegistry event ${event.name} in a membership query`);
  }
  return { ...change, memberId: lower(args.memberId as string), blockNumber: log.blockNumber, logIndex: log.index, txHash: lower(log.transactionHash) };
}
