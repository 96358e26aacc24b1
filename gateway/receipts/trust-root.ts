// Verification under a trust root: the trust file is made from what a member node is configured
// with, checked against the chain a verifier reaches before anything else, and then decides which
// AnchorRegistry and ConsortiumRegistry every receipt is checked in. Chain reads go through the
// VerifierChainReader port.
import type { Hex, LedgerKind, VerifierChainReader } from '../ledger/ports.js';
import { hospitalMemberCheck } from './member-check.js';
import { TRUST_FORMAT, parseTrustFile, type TrustFile } from './trust-file.js';
import { type AnchorLookup, type VerifyResult, verifyReceipt } from './verify.js';

/** The chain reached is not the pinned one, or the pinned registries are not a consortium's. */
export class TrustMismatchError extends Error {}

export interface ConfiguredChain {
  /** The trust file pins it too: a verifier reads the anchors through that kind's ports. */
  kind: LedgerKind;
  /** 0 or absent when the configuration does not say. */
  chainId?: number;
  contracts: Record<string, string>;
}

/** Registries are what a verifier pins; the Groth16 verifiers are reached through CohortRegistry. */
function registries(contracts: Record<string, string>): Record<string, Hex> {
  const out: Record<string, Hex> = {};
  for (const [name, address] of Object.entries(contracts)) if (name.endsWith('Registry')) out[name] = address.toLowerCase() as Hex;
  return out;
}

/**
 * The trust file for the chain a member node is configured for. Refuses when the chain does not
 * hold what the configuration says, so an exported file never pins something that is not there.
 */
export async function exportTrust(configured: ConfiguredChain, reader: VerifierChainReader, consortium?: string): Promise<TrustFile> {
  const { chainId, genesisHash } = await reader.identity();
  if (configured.chainId && configured.chainId !== chainId) {
    throw new TrustMismatchError(`the node is configured for chain ${configured.chainId} but its RPC serves chain ${chainId}; fix CHAIN_RPC_URL or CHAIN_ID`);
  }
  const contracts = registries(configured.contracts);
  for (const name of ['ConsortiumRegistry', 'AnchorRegistry']) {
    if (!contracts[name]) throw new TrustMismatchError(`the node's configuration names no ${name}; run this where a member node's DATA_DIR is`);
  }
  for (const [name, address] of Object.entries(contracts)) {
    if (!(await reader.hasCode(address))) throw new TrustMismatchError(`no ${name} contract at ${address} on chain ${chainId}; the node's configuration is stale`);
  }
  const linked = await reader.consortiumOf(contracts.AnchorRegistry!);
  if (linked !== contracts.ConsortiumRegistry) {
    throw new TrustMismatchError(`AnchorRegistry ${contracts.AnchorRegistry} consults ConsortiumRegistry ${linked}, not the configured ${contracts.ConsortiumRegistry}`);
  }
  if (contracts.TelehealthRegistry) await checkTelehealthLinks(contracts, reader);
  const membershipFromBlock = await reader.firstEventBlock(contracts.ConsortiumRegistry!);
  if (membershipFromBlock === null) throw new TrustMismatchError(`ConsortiumRegistry ${contracts.ConsortiumRegistry} has emitted no event: it is not a deployed consortium`);
  return parseTrustFile({
    format: TRUST_FORMAT,
    ledger: configured.kind,
    chainId,
    genesisHash,
    contracts,
    membershipFromBlock,
    ...(consortium !== undefined ? { consortium } : {}),
  });
}

/**
 * A payer checks a practitioner's licence in the LicenceRegistry the trust file pins, and a consult
 * was gated by the consents and licences its TelehealthRegistry reads: the file pins them only
 * when they are the same registries, all consulting the pinned ConsortiumRegistry.
 */
async function checkTelehealthLinks(contracts: Record<string, Hex>, reader: VerifierChainReader): Promise<void> {
  const links = await reader.telehealthLinks(contracts.TelehealthRegistry!);
  const expected: Array<[string, Hex, Hex | undefined]> = [
    ['consults ConsortiumRegistry', links.consortium, contracts.ConsortiumRegistry],
    ['reads consents in ConsentRegistry', links.consents, contracts.ConsentRegistry],
    ['checks licences in LicenceRegistry', links.licences, contracts.LicenceRegistry],
  ];
  for (const [what, actual, configured] of expected) {
    if (actual !== configured) {
      throw new TrustMismatchError(`TelehealthRegistry ${contracts.TelehealthRegistry} ${what} ${actual}, not the configured ${configured ?? '(none)'}`);
    }
  }
  if (links.licencesConsortium !== contracts.ConsortiumRegistry) {
    throw new TrustMismatchError(`LicenceRegistry ${links.licences} consults ConsortiumRegistry ${links.licencesConsortium}, not the configured ${contracts.ConsortiumRegistry}`);
  }
}

/**
 * Checks, before any receipt, that the chain reached is the pinned chain (chain id and genesis
 * hash) and that the pinned AnchorRegistry consults the pinned ConsortiumRegistry. A mismatch
 * means "cannot verify here", not "invalid".
 */
export async function checkPinnedChain(trust: TrustFile, reader: VerifierChainReader): Promise<void> {
  const { chainId, genesisHash } = await reader.identity();
  if (chainId !== trust.chainId || genesisHash !== trust.genesisHash) {
    throw new TrustMismatchError(
      `the chain reached is chain ${chainId} with genesis ${genesisHash}, the trust file pins chain ${trust.chainId} with genesis ${trust.genesisHash}: point --rpc at the consortium's chain, or get the trust file for this one`,
    );
  }
  const { AnchorRegistry: anchors, ConsortiumRegistry: consortium } = trust.contracts;
  if (!(await reader.hasCode(anchors))) throw new TrustMismatchError(`the pinned AnchorRegistry ${anchors} has no code on chain ${chainId}`);
  const linked = await reader.consortiumOf(anchors);
  if (linked !== consortium) {
    throw new TrustMismatchError(`the pinned AnchorRegistry ${anchors} consults ConsortiumRegistry ${linked}, not the pinned ${consortium}: the trust file is inconsistent`);
  }
}

export type PinnedVerifier = (resource: unknown, receipt: unknown) => Promise<VerifyResult>;

/**
 * Receipt verification bound to a trust file: `lookup` must read the pinned AnchorRegistry; the
 * receipt must name it (`trust-contract`), and its sender must have been a HOSPITAL signer in the
 * pinned ConsortiumRegistry at the anchoring block (`member`).
 */
export function pinnedVerifier(trust: TrustFile, lookup: AnchorLookup, reader: VerifierChainReader): PinnedVerifier {
  const memberCheck = hospitalMemberCheck(reader, { consortiumRegistry: trust.contracts.ConsortiumRegistry, fromBlock: trust.membershipFromBlock });
  const pinned = { chainId: trust.chainId, anchorRegistry: trust.contracts.AnchorRegistry };
  return (resource, receipt) => verifyReceipt(resource, receipt, lookup, { pinned, memberCheck });
}

/**
 * A verifier pinned to what a member node is configured for (its own registries, which it
 * reached at start-up), for $verify-anchor. The trust file is read from the chain on first use
 * and again after a failed attempt.
 */
export function configuredVerifier(configured: ConfiguredChain, lookup: AnchorLookup, reader: VerifierChainReader): PinnedVerifier {
  let pinned: Promise<PinnedVerifier> | undefined;
  return async (resource, receipt) => {
    if (!pinned) {
      const attempt = exportTrust(configured, reader).then((trust) => pinnedVerifier(trust, lookup, reader));
      pinned = attempt;
      attempt.catch(() => {
        if (pinned === attempt) pinned = undefined;
      });
    }
    return (await pinned)(resource, receipt);
  };
}
