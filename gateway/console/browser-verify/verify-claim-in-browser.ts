// `careledger verify-claim --trust` run in the page: the CLI's own verifyClaimBundle with the same
// pinned readers (trust-root, the EVM anchor, ClaimRegistry and LicenceRegistry readers, the
// per-run chain cache), the chain read straight from the browser at the RPC URL the payer gives.
// The bundle, the trust file and the claims key come from the payer's own files; the node that
// served the page is asked nothing, so it cannot vouch for a claim it altered.
import './buffer-global.js';
import { cachedAnchorLookup, cachedRegistrations, cachedVerifierReader } from '../../claims/chain-cache.js';
import type { ClaimReport } from '../../claims/claim-report.js';
import { ClaimBundleError, indexEvidence } from '../../claims/evidence-index.js';
import { verifyClaimBundle } from '../../claims/verify-claim.js';
import { EvmClaimFingerprintPort } from '../../ledger/evm/claim-fingerprint-port.js';
import { EvmLicencePort } from '../../ledger/evm/licence-port.js';
import { trustFingerprint } from '../../receipts/trust-file.js';
import { pinnedVerifier } from '../../receipts/trust-root.js';
import { type CannotVerify, onPinnedChain, trustFromFile } from './pinned-chain-in-browser.js';

export interface ClaimVerifyInput {
  bundleText: string;
  trustFileText: string;
  /** The consortium's claims key file (64 hex digits), or null: the duplicate check then skips. */
  claimsKeyText: string | null;
  rpcUrl: string;
  /** File names, for the report's trust source. */
  trustFileName: string;
}

export type ClaimVerdict = { outcome: 'report'; report: ClaimReport } | CannotVerify;

const CLAIMS_KEY = /^(?:0x)?([0-9a-fA-F]{64})$/;

export async function verifyClaimInBrowser(input: ClaimVerifyInput): Promise<ClaimVerdict> {
  let bundle: unknown;
  try {
    bundle = JSON.parse(input.bundleText);
  } catch {
    return { outcome: 'cannot-verify', reason: 'The evidence bundle is not JSON. Drop the file GET /fhir/Claim/{id}/$evidence or `careledger claim evidence` wrote.' };
  }
  try {
    // Input that is no claim's evidence is refused before any chain read, as the CLI does.
    indexEvidence(bundle);
  } catch (error) {
    if (error instanceof ClaimBundleError) return { outcome: 'cannot-verify', reason: `${error.message}. Drop a claim evidence bundle ($evidence).` };
    throw error;
  }
  const parsed = trustFromFile(input.trustFileText);
  if (!('trust' in parsed)) return parsed;
  const { trust } = parsed;
  let claimsKey: Buffer | null = null;
  if (input.claimsKeyText !== null) {
    const hex = CLAIMS_KEY.exec(input.claimsKeyText.trim())?.[1];
    if (!hex) return { outcome: 'cannot-verify', reason: 'The claims key file does not hold a claims key (32 bytes as 64 hex digits). Drop the consortium’s key file (careledger claims-key), or remove it to verify without the duplicate check.' };
    claimsKey = Buffer.from(hex, 'hex');
  }

  return onPinnedChain(trust, input.rpcUrl, async ({ provider, reader, anchors }): Promise<ClaimVerdict> => {
    const { ClaimRegistry, LicenceRegistry } = trust.contracts;
    const report = await verifyClaimBundle(bundle, {
      trust,
      trustSource: `trust file ${input.trustFileName}`,
      trustFingerprint: trustFingerprint(trust),
      verify: pinnedVerifier(trust, cachedAnchorLookup((member, sequence) => anchors.getAnchor(member, sequence)), cachedVerifierReader(reader)),
      fingerprints: ClaimRegistry ? cachedRegistrations(new EvmClaimFingerprintPort(ClaimRegistry, provider, null)) : null,
      claimsKey,
      licences: LicenceRegistry ? new EvmLicencePort(LicenceRegistry, provider, null) : null,
    });
    return { outcome: 'report', report };
  });
}
