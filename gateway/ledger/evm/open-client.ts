import { Wallet } from 'ethers';
import type { Hex, LedgerClient } from '../ports.js';
import { EvmAnchorPort } from './anchor-port.js';
import { EvmClaimFingerprintPort } from './claim-fingerprint-port.js';
import { EvmCohortPort } from './cohort-port.js';
import { EvmLicencePort } from './licence-port.js';
import { EvmMemberPort } from './member-port.js';
import { createEvmProvider } from './provider.js';
import { TxSender } from './tx-sender.js';
import { EvmVerifierReader } from './verifier-reader.js';

export interface EvmClientTarget {
  kind: 'evm';
  rpcUrl: string;
  chainId: number;
  contracts: Record<string, Hex>;
}

export interface EvmClientOptions {
  /** The member key the client signs with (a researcher's query, an eligibility acceptance). */
  privateKey?: string;
  pollingIntervalMs?: number;
}

/**
 * The command line's view of an EVM chain. Unlike connectEvmLedger it checks nothing up front:
 * a payer's verify reports a wrong chain through the trust root's own checks, and a transaction
 * from an unregistered key is refused by the contract with its custom error.
 */
export async function openEvmClient(target: EvmClientTarget, options: EvmClientOptions = {}): Promise<LedgerClient> {
  const provider = createEvmProvider({ rpcUrl: target.rpcUrl, chainId: target.chainId, pollingIntervalMs: options.pollingIntervalMs });
  const sender = options.privateKey
    ? new TxSender(new Wallet(options.privateKey, provider), provider, target.chainId, { gasPrice: 0n, confirmTimeoutMs: 60_000 })
    : null;
  const { ConsortiumRegistry, CohortRegistry } = target.contracts;
  return {
    anchorsAt: (registry) => EvmAnchorPort.reader(registry, target.chainId, provider),
    members: ConsortiumRegistry ? new EvmMemberPort(ConsortiumRegistry, provider) : null,
    cohorts: CohortRegistry ? new EvmCohortPort(CohortRegistry, target.chainId, provider, sender) : null,
    licences: target.contracts.LicenceRegistry ? new EvmLicencePort(target.contracts.LicenceRegistry, provider, sender) : null,
    licencesAt: (registry) => new EvmLicencePort(registry, provider, null),
    fingerprintsAt: (registry) => new EvmClaimFingerprintPort(registry, provider, null),
    verifier: new EvmVerifierReader(provider),
    async latestBlockTime() {
      const block = await provider.getBlock('latest');
      if (!block) throw new Error(`${target.rpcUrl} returned no latest block`);
      return block.timestamp;
    },
    close: async () => provider.destroy(),
  };
}
