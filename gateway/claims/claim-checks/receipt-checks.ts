// `trust-contract` and `receipts`: every resource of the bundle carries a receipt (in a Provenance
// that claims nothing its receipt does not), the receipt names the pinned AnchorRegistry on the
// pinned chain, and it verifies against that chain (careledger verify's checks, run by the pinned
// verifier, member history included). An R4 resource is accepted when its R5 form, the one the
// node anchored, is what the receipt covers.
import { OperationOutcomeError } from '@medplum/core';
import { parseReceipt, type Receipt } from '../../receipts/format.js';
import { provenanceMismatch, receiptJsonFromProvenance } from '../../receipts/provenance.js';
import type { PinnedVerifier } from '../../receipts/trust-root.js';
import type { PinnedAnchorRegistry, VerifyResult } from '../../receipts/verify.js';
import type { FhirResource } from '../../store/service.js';
import type { ClaimCheck, Evidence } from '../claim-report.js';
import type { EvidenceIndex } from '../evidence-index.js';
import { type AnchoredVersion, anchorEvidence, versionOf } from './claim-context.js';

export interface ReceiptOutcome {
  resource: FhirResource;
  /** The form that verified (R5 as anchored), or the bundle's own when nothing verified. */
  r5: FhirResource;
  convertedFromR4: boolean;
  anchored: AnchoredVersion | null;
  /** Which check it belongs to when it did not verify, and why. */
  problem: { check: 'trust-contract' | 'receipts'; evidence: Evidence } | null;
  /** Chain unreachable: not established either way. */
  unreachable: string | null;
  warning: string | null;
}

export interface ReceiptChecks {
  checks: [ClaimCheck, ClaimCheck];
  outcomes: ReceiptOutcome[];
}

/** Receipt checks whose failure an R4-to-R5 conversion can explain. */
const CONTENT_CHECKS = new Set(['digest', 'resource-identity']);

export async function checkReceipts(index: EvidenceIndex, verify: PinnedVerifier, pinned: PinnedAnchorRegistry): Promise<ReceiptChecks> {
  const outcomes = await Promise.all(index.resources.map((resource) => receiptOf(index, resource, verify, pinned)));
  return { checks: [trustContractCheck(outcomes, pinned), receiptsCheck(outcomes)], outcomes };
}

async function receiptOf(index: EvidenceIndex, resource: FhirResource, verify: PinnedVerifier, pinned: PinnedAnchorRegistry): Promise<ReceiptOutcome> {
  const base = { resource, r5: resource, convertedFromR4: false, anchored: null, problem: null, unreachable: null, warning: null };
  const fail = (note: string, receiptCheck: string, check: 'trust-contract' | 'receipts' = 'receipts'): ReceiptOutcome => ({
    ...base,
    problem: { check, evidence: { resource: versionOf(resource), status: 'fail', receiptCheck, note } },
  });
  const versionId = typeof resource.meta?.versionId === 'string' ? resource.meta.versionId : undefined;
  const provenance = index.provenanceOf(resource.resourceType, String(resource.id), versionId);
  if (!provenance) return fail('no Provenance in the bundle targets this resource: it carries no receipt', 'format');
  const json = receiptJsonFromProvenance(provenance);
  if (json === null) return fail(`Provenance/${String(provenance.id)} carries no careledger receipt`, 'format');
  let receipt: Receipt;
  try {
    receipt = parseReceipt(json);
  } catch (error) {
    if (!(error instanceof OperationOutcomeError)) throw error;
    return fail(error.message, 'format');
  }
  const mismatch = provenanceMismatch(provenance, receipt);
  if (mismatch) return fail(mismatch, 'format');
  // Before any chain read, as careledger verify does: a look-alike registry fails here by name.
  if (receipt.anchor.chainId !== pinned.chainId || receipt.anchor.contract !== pinned.anchorRegistry.toLowerCase()) {
    return fail(
      `the receipt names AnchorRegistry ${receipt.anchor.contract} on chain ${receipt.anchor.chainId}; the consortium's (trust file) is ${pinned.anchorRegistry.toLowerCase()} on chain ${pinned.chainId}`,
      'trust-contract',
      'trust-contract',
    );
  }

  let result: VerifyResult;
  let r5 = resource;
  let convertedFromR4 = false;
  try {
    result = await verify(resource, receipt);
    if (!result.valid && CONTENT_CHECKS.has(result.failedCheck)) {
      const converted = await r4FormOf(resource);
      if (converted) {
        const second = await verify(converted, receipt);
        if (second.valid) {
          result = second;
          r5 = converted;
          convertedFromR4 = true;
        }
      }
    }
  } catch (error) {
    return { ...base, unreachable: `${versionOf(resource)}: could not read the chain: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (!result.valid) return fail(result.reason, result.failedCheck, result.failedCheck === 'trust-contract' ? 'trust-contract' : 'receipts');
  const anchored = { version: `${receipt.resource.type}/${receipt.resource.id}/_history/${receipt.resource.versionId}`, receipt, anchor: result.anchor };
  const member = result.checks.find((c) => c.name === 'member');
  return { ...base, r5, convertedFromR4, anchored, warning: member?.warning ? (member.detail ?? 'the anchoring member changed since') : null };
}

/**
 * The R5 form of an R4 resource, null when conversion does not apply or changes nothing. The
 * converter and its models are loaded only for an R4 bundle: in the console they are a chunk of
 * their own (about 110 KB gzip) that an R5 bundle never fetches.
 */
async function r4FormOf(resource: FhirResource): Promise<FhirResource | null> {
  const { convertR4toR5 } = await import('../../../fhir-adapters/conversion/index.js');
  try {
    const converted = convertR4toR5(resource).resource as FhirResource;
    return JSON.stringify(converted) === JSON.stringify(resource) ? null : converted;
  } catch (error) {
    if (error instanceof OperationOutcomeError) return null;
    throw error;
  }
}

function trustContractCheck(outcomes: ReceiptOutcome[], pinned: PinnedAnchorRegistry): ClaimCheck {
  const failed = outcomes.filter((o) => o.problem?.check === 'trust-contract').map((o) => o.problem!.evidence);
  const where = `AnchorRegistry ${pinned.anchorRegistry.toLowerCase()} on chain ${pinned.chainId}`;
  if (failed.length > 0) {
    return { name: 'trust-contract', status: 'fail', detail: `${failed.length} receipt(s) name a registry other than the consortium's ${where}: not the consortium's anchors`, evidence: failed };
  }
  return { name: 'trust-contract', status: 'pass', detail: `every receipt names the consortium's ${where} (trust file)`, evidence: [] };
}

function receiptsCheck(outcomes: ReceiptOutcome[]): ClaimCheck {
  const failed = outcomes.filter((o) => o.problem?.check === 'receipts').map((o) => o.problem!.evidence);
  const unreachable = outcomes.filter((o) => o.unreachable);
  const verified = outcomes.filter((o) => o.anchored);
  const evidence: Evidence[] = [
    ...failed,
    ...unreachable.map((o) => ({ resource: versionOf(o.resource), status: 'skip' as const, note: o.unreachable! })),
    ...verified.map((o) => ({ ...anchorEvidence(o.anchored!), ...(o.warning ? { status: 'warn' as const, note: o.warning } : {}), ...(o.convertedFromR4 ? { note: 'checked in its R5 form (R4 in the bundle)' } : {}) })),
  ];
  const total = outcomes.length;
  if (failed.length > 0) return { name: 'receipts', status: 'fail', detail: `${failed.length} of ${total} resources do not verify against their receipts and the pinned chain`, evidence };
  if (unreachable.length > 0) return { name: 'receipts', status: 'skip', detail: `${unreachable.length} of ${total} receipts could not be checked: the chain did not answer`, evidence };
  const warned = verified.filter((o) => o.warning);
  if (warned.length > 0) return { name: 'receipts', status: 'warn', detail: `all ${total} receipts verify; ${warned.length} anchoring member(s) changed since they anchored`, evidence };
  return { name: 'receipts', status: 'pass', detail: `all ${total} resources verify against their receipts, anchored by an active HOSPITAL member at the anchoring block`, evidence };
}
