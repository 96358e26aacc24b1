// The node's chain: the embedded dev chain (anvil, started here, contracts deployed once with
// this node as the bootstrap hospital) or an existing network named by configuration (Besu in
// production, or the local consortium's shared chain). Both end in the ports of the ledger kind
// CHAIN_KIND names, connected through the factory.

import { join } from 'node:path';
import { deployConsortium } from '../../network/deploy.js';
import { startEmbeddedChain, type EmbeddedChain } from '../../network/embedded-chain.js';
import type { NodeConfig } from '../config.js';
import type { AnchorLookup } from '../receipts/verify.js';
import { ChainProbe, DEFAULT_PROBE_TIMEOUT_MS } from './chain-probe.js';
import { connectLedger } from './factory.js';
import type {
  AnchorPort,
  ChainDescriptor,
  ClaimFingerprintPort,
  CohortPort,
  ConsentPort,
  Hex,
  LedgerDescriptor,
  LicencePort,
  MemberPort,
  TelehealthPort,
  VerifierChainReader,
} from './ports.js';

/** The node's member key: what it signs its anchors and other transactions with. */
export interface MemberSigner {
  /** secp256k1 private key, 0x-hex. */
  privateKey: string;
  address: string;
}

export interface ChainConnection {
  descriptor: LedgerDescriptor;
  memberId: Hex;
  anchors: AnchorPort;
  members: MemberPort;
  /** null when the chain has no ConsentRegistry configured. */
  consents: ConsentPort | null;
  /** null when the chain has no CohortRegistry configured. */
  cohorts: CohortPort | null;
  /** null when the chain has no TelehealthRegistry configured. */
  telehealth: TelehealthPort | null;
  /** null when the chain has no LicenceRegistry configured. */
  licences: LicencePort | null;
  /** null when the chain has no ClaimRegistry configured. */
  claimFingerprints: ClaimFingerprintPort | null;
  lookupAnchor: AnchorLookup;
  /** Chain reads of receipt verification besides anchors (trust root, membership history). */
  verifier: VerifierChainReader;
  /** Set when this node runs the embedded chain itself. */
  embedded: EmbeddedChain | null;
  /** Whether the chain answers, probed in the background; what /health and chain_up report. */
  probe: ChainProbe;
  close(): Promise<void>;
}

export async function connectChain(config: NodeConfig, signer: MemberSigner): Promise<ChainConnection> {
  let embedded: EmbeddedChain | null = null;
  let descriptor: ChainDescriptor;
  if (config.chain) {
    const chainId = config.chain.chainId || (await servedChainId(config.chain.rpcUrl, config.chainTimeoutMs));
    descriptor = { rpcUrl: config.chain.rpcUrl, chainId, contracts: config.chain.contracts as ChainDescriptor['contracts'] };
  } else {
    const chainDir = join(config.dataDir, 'chain');
    embedded = await startEmbeddedChain({ dataDir: chainDir, port: config.embeddedChainPort || undefined });
    try {
      const deployed = await deployConsortium({
        rpcUrl: embedded.rpcUrl,
        chainId: embedded.chainId,
        deployerKey: embedded.accounts[0]!.privateKey,
        members: [{ orgId: config.orgId, roles: ['HOSPITAL'], signer: signer.address as Hex }],
        dataDir: chainDir,
      });
      descriptor = { rpcUrl: deployed.rpcUrl, chainId: deployed.chainId, contracts: deployed.contracts };
    } catch (error) {
      await embedded.stop();
      throw error;
    }
  }

  try {
    const ledger = await connectLedger({
      kind: config.chainKind,
      ...descriptor,
      privateKey: signer.privateKey as Hex,
      gasPrice: config.chain?.gasPrice ?? 0n,
      requestTimeoutMs: config.chainTimeoutMs,
      ...(embedded ? { ipcPath: embedded.ipcPath } : {}),
    });
    const probe = new ChainProbe(() => ledger.blockNumber(), { timeoutMs: Math.min(DEFAULT_PROBE_TIMEOUT_MS, config.chainTimeoutMs) });
    probe.start();
    return {
      descriptor: { kind: config.chainKind, ...descriptor },
      memberId: ledger.anchors.memberId,
      anchors: ledger.anchors,
      members: ledger.members,
      consents: ledger.consents,
      cohorts: ledger.cohorts,
      telehealth: ledger.telehealth,
      licences: ledger.licences,
      claimFingerprints: ledger.claimFingerprints,
      lookupAnchor: (member, sequence) => ledger.anchors.getAnchor(member, sequence),
      verifier: ledger.verifier,
      embedded,
      probe,
      async close() {
        probe.stop();
        await ledger.close();
        await embedded?.stop();
      },
    };
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
}

async function servedChainId(rpcUrl: string, timeoutMs: number): Promise<number> {
  const response = await fetch(rpcUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const { result } = (await response.json()) as { result?: string };
  if (!result) throw new Error(`${rpcUrl} did not answer eth_chainId; set CHAIN_ID`);
  return Number(result);
}
