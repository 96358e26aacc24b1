// `careledger verify --trust` run in the page: the same modules as the CLI (trust-file, trust-root,
// verify, the EVM readers), with the chain read straight from the browser at the RPC URL the user
// gives. Nothing comes from the node that served the page: its own $verify-anchor is never called,
// so a node serving a tampered resource cannot vouch for it.
import './buffer-global.js';
import type { FhirResource } from '../../store/service.js';
import { parseReceipt } from '../../receipts/format.js';
import { provenanceMismatch, receiptJsonFromProvenance } from '../../receipts/provenance.js';
import { trustFingerprint } from '../../receipts/trust-file.js';
import { pinnedVerifier } from '../../receipts/trust-root.js';
import type { CheckResult } from '../../receipts/verify.js';
import { type CannotVerify, onPinnedChain, trustFromFile } from './pinned-chain-in-browser.js';

export interface BrowserVerifyInput {
  resource: unknown;
  /** The receipt JSON ($receipt) or the Provenance carrying it. */
  receipt: unknown;
  trustFileText: string;
  rpcUrl: string;
}

/** What the page shows: the CLI's three outcomes (valid, invalid at a check, could not verify). */
export type BrowserVerdict =
  | { outcome: 'valid'; checks: CheckResult[]; fingerprint: string; chainId: number; anchorRegistry: string; txHash: string; blockNumber: number }
  | { outcome: 'invalid'; failedCheck: string; reason: string; checks: CheckResult[]; fingerprint: string }
  | CannotVerify;

export async function verifyInBrowser(input: BrowserVerifyInput): Promise<BrowserVerdict> {
  const parsed = trustFromFile(input.trustFileText);
  if (!('trust' in parsed)) return parsed;
  const { trust } = parsed;
  const fingerprint = `sha256:${trustFingerprint(trust)}`;
  let receipt = input.receipt;
  if ((receipt as { resourceType?: string } | null)?.resourceType === 'Provenance') {
    const provenance = receipt as FhirResource;
    const carried = receiptJsonFromProvenance(provenance);
    if (!carried) return { outcome: 'invalid', failedCheck: 'format', reason: 'The Provenance carries no careledger receipt.', checks: [], fingerprint };
    let mismatch: string | null = null;
    try {
      mismatch = provenanceMismatch(provenance, parseReceipt(carried));
    } catch {
      // A malformed receipt is reported by verification itself (`format`).
    }
    if (mismatch) return { outcome: 'invalid', failedCheck: 'format', reason: mismatch, checks: [], fingerprint };
    receipt = carried;
  }
  return onPinnedChain(trust, input.rpcUrl, async ({ reader, anchors }): Promise<BrowserVerdict> => {
    const result = await pinnedVerifier(trust, (member, sequence) => anchors.getAnchor(member, sequence), reader)(input.resource, receipt);
    if (!result.valid) return { outcome: 'invalid', failedCheck: result.failedCheck, reason: result.reason, checks: result.checks, fingerprint };
    return {
      outcome: 'valid',
      checks: result.checks,
      fingerprint,
      chainId: trust.chainId,
      anchorRegistry: trust.contracts.AnchorRegistry,
      txHash: result.anchor.txHash,
      blockNumber: result.anchor.blockNumber,
    };
  });
}
