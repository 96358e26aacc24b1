import { Contract, Wallet, ZeroHash } from 'ethers';
import type { ChainDescriptor, Hex, Ledger } from '../ports.js';
import { EvmAnchorPort } from './anchor-port.js';
import { EvmClaimFingerprintPort } from './claim-fingerprint-port.js';
import { EvmCohortPort } from './cohort-port.js';
import { EvmConsentPort } from './consent-port.js';
import { consortiumRegistryInterface } from './contracts.js';
import { EvmLicencePort } from './licence-port.js';
import { EvmMemberPort } from './member-port.js';
import { createEvmProvider } from './provider.js';
import { EvmTelehealthPort } from './telehealth-port.js';
import { TxSender } from './tx-sender.js';
import { EvmVerifierReader } from './verifier-reader.js';

export interface EvmLedgerConfig extends ChainDescriptor {
  kind: 'evm';
  /** The node's member signing key (secp256k1, 0x-hex). */
  privateKey: Hex;
  /** Legacy gas price in wei; 0 (the default) for zero-gas networks. */
  gasPrice?: bigint;
  pollingIntervalMs?: number;
  /** How long submitAnchor waits for its transaction to be mined. */
  confirmTimeoutMs?: number;
  /** Deadline for each JSON-RPC round trip; see createEvmProvider. */
  requestTimeoutMs?: number;
  /** The embedded chain's IPC socket, when this node runs it; see createEvmProvider. */
  ipcPath?: string;
}

export type EvmLedger = Ledger;

/**
 * Connects to an EVM ledger: checks the node serves the configured chain and that the key is a
 * registered signer, then returns the ports. Fails fast with what to fix rather than on first use.
 */
export async function connectEvmLedger(config: EvmLedgerConfig): Promise<EvmLedger> {
  const provider = createEvmProvider(config);
  try {
    const served = Number(await provider.send('eth_chainId', []));
    if (served !== config.chainId) {
      throw new Error(`${config.rpcUrl} serves chain ${served}, but the configuration says chain ${config.chainId}`);
    }
    for (const [name, address] of Object.entries(config.contracts)) {
      if ((await provider.getCode(address)) === '0x') {
        throw new Error(`no ${name} contract at ${address} on chain ${config.chainId}; deploy it or fix the address`);
      }
    }
    const wallet = new Wallet(config.privateKey, provider);
    const consortium = new Contract(config.contracts.ConsortiumRegistry, consortiumRegistryInterface, provider);
    const memberId = ((await consortium.getFunction('memberOfSigner')(wallet.address)) as string).toLowerCase() as Hex;
    if (memberId === ZeroHash) {
      throw new Error(
        `${wallet.address} is not a signer of any consortium member; a member must propose it (proposeAddMember or proposeAddSigner) and the consortium approve`,
      );
    }
    const sender = new TxSender(wallet, provider, config.chainId, {
      gasPrice: config.gasPrice ?? 0n,
      confirmTimeoutMs: config.confirmTimeoutMs ?? 60_000,
    });
    const anchorRegistry = config.contracts.AnchorRegistry.toLowerCase() as Hex;
    return {
      anchors: new EvmAnchorPort(memberId, anchorRegistry, config.chainId, provider, sender),
      members: new EvmMemberPort(config.contracts.ConsortiumRegistry, provider),
      // Same sender as the anchors: one key, one nonce sequence.
      consents: config.contracts.ConsentRegistry ? new EvmConsentPort(config.contracts.ConsentRegistry, config.chainId, provider, sender) : null,
      cohorts: config.contracts.CohortRegistry ? new EvmCohortPort(config.contracts.CohortRegistry, config.chainId, provider, sender) : null,
      telehealth: config.contracts.TelehealthRegistry ? new EvmTelehealthPort(config.contracts.TelehealthRegistry, provider, sender) : null,
      licences: config.contracts.LicenceRegistry ? new EvmLicencePort(config.contracts.LicenceRegistry, provider, sender) : null,
      claimFingerprints: config.contracts.ClaimRegistry ? new EvmClaimFingerprintPort(config.contracts.ClaimRegistry, provider, sender) : null,
      verifier: new EvmVerifierReader(provider),
      blockNumber: async () => Number(await provider.send('eth_blockNumber', [])),
      close: async () => provider.destroy(),
    };
  } catch (error) {
    provider.destroy();
    throw error;
  }
}
