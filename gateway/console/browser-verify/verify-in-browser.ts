// `careledger verify --trust` run in the page: the same modules as the CLI (trust-file, trust-root,
// verify, the EVM readers), with the chain read straight from the browser at the RPC URL the user
// gives. Nothing comes from the node that served the page: its own $verify-anchor is never called,
// so a node serving a tampered resource cannot vouch for it.
import './buffer-global.js';
import { JsonRpcProvider, Network } from 'ethers';
import { EvmAnchorPort } from '../../ledger/evm/anchor-port.js';
import { EvmVerifierReader } from '../../ledger/evm/verifier-reader.js';
import type { FhirResource } from '../../store/service.js';
import { parseReceipt } from '../../receipts/format.js';
import { provenanceMismatch, receiptJsonFromProvenance } from '../../receipts/provenance.js';
import { TrustFileError, parseTrustFile, trustFingerprint } from '../../receipts/trust-file.js';
import { TrustMismatchError, checkPinnedChain, pinnedVerifier } from '../../receipts/trust-root.js';
import type { CheckResult } from '../../receipts/verify.js';

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
  | { outcome: 'cannot-verify'; reason: string };

export async function verifyInBrowser(input: BrowserVerifyInput): Promise<BrowserVerdict> {
  let trust;
  try {
    trust = parseTrustFile(input.trustFileText);
  } catch (error) {
    if (error instanceof TrustFileError) return { outcome: 'cannot-verify', reason: `${error.message}. Drop the trust file your consortium gave you (careledger trust export).` };
    throw error;
  }
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
  const provider = new JsonRpcProvider(input.rpcUrl, Network.from(trust.chainId), { staticNetwork: true, batchMaxCount: 1 });
  try {
    const reader = new EvmVerifierReader(provider);
    try {
      await checkPinnedChain(trust, reader);
    } catch (error) {
      return { outcome: 'cannot-verify', reason: cannotRead(error, input.rpcUrl) };
    }
    const anchors = EvmAnchorPort.reader(trust.contracts.AnchorRegistry, trust.chainId, provider);
    let result;
    try {
      result = await pinnedVerifier(trust, (member, sequence) => anchors.getAnchor(member, sequence), reader)(input.resource, receipt);
    } catch (error) {
      return { outcome: 'cannot-verify', reason: cannotRead(error, input.rpcUrl) };
    }
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
  } finally {
    provider.destroy();
  }
}

function cannotRead(error: unknown, rpcUrl: string): string {
  if (error instanceof TrustMismatchError) return `${error.message}.`;
  const detail = error instanceof Error ? error.message : String(error);
  return `The chain at ${rpcUrl} could not be read (${detail}). Check the chain RPC URL and that it answers from this browser.`;
}
