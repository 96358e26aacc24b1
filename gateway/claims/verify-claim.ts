// Claim verification as a payer runs it, with only the evidence bundle, the consortium trust file
// and read access to the chain: every check of docs/claims.md, in order, each with its evidence,
// and the verdict. The chain is reached only through the pinned verifier and the pinned
// ClaimRegistry reader the caller passes in; everything else is pure.
import type { ClaimFingerprintReader, LicenceReader } from '../ledger/ports.js';
import type { TrustFile } from '../receipts/trust-file.js';
import type { PinnedVerifier } from '../receipts/trust-root.js';
import type { FhirResource } from '../store/service.js';
import { referenceOf } from './claim-lines.js';
import { CLAIM_REPORT_FORMAT, type ClaimCheck, type ClaimReport, verdictOf } from './claim-report.js';
import { type AnchoredVersion, type ClaimContext, keyOf, versionOf } from './claim-checks/claim-context.js';
import { checkCoverage } from './claim-checks/coverage-check.js';
import { checkDuplicates } from './claim-checks/duplicate-check.js';
import { checkLicences } from './claim-checks/licence-check.js';
import { checkProviderMember, memberOfOrganization } from './claim-checks/provider-check.js';
import { checkReceipts } from './claim-checks/receipt-checks.js';
import { checkPatient, checkReferences } from './claim-checks/reference-checks.js';
import { checkEncounterBeforeClaim, checkServiceDates } from './claim-checks/timeline-checks.js';
import { claimLines } from './claim-lines.js';
import { indexEvidence } from './evidence-index.js';

export interface ClaimVerifier {
  trust: TrustFile;
  /** Where the trust file came from, for the report. */
  trustSource: string;
  trustFingerprint: string;
  /** Receipt verification bound to the trust file (trust-root.ts pinnedVerifier). */
  verify: PinnedVerifier;
  /** The pinned ClaimRegistry (trust file), null when it pins none. */
  fingerprints: ClaimFingerprintReader | null;
  claimsKey: Buffer | null;
  /** The pinned LicenceRegistry (trust file), null when it pins none: licences are then judged by Practitioner.qualification. */
  licences?: Pick<LicenceReader, 'licencesOf'> | null;
  now?: () => Date;
}

/**
 * Verifies one claim evidence bundle. Throws ClaimBundleError when the input is not a claim's
 * evidence at all (not a Bundle, no Claim, two Claims); everything else is a check in the report.
 */
export async function verifyClaimBundle(bundle: unknown, verifier: ClaimVerifier): Promise<ClaimReport> {
  const index = indexEvidence(bundle);
  const references = checkReferences(index);
  const { trust } = verifier;
  const receipts = await checkReceipts(index, verifier.verify, { chainId: trust.chainId, anchorRegistry: trust.contracts.AnchorRegistry });

  const r5 = new Map<FhirResource, FhirResource>();
  const anchored = new Map<string, AnchoredVersion>();
  for (const outcome of receipts.outcomes) {
    r5.set(outcome.resource, outcome.r5);
    if (outcome.anchored) anchored.set(keyOf(outcome.r5), outcome.anchored);
  }
  const ctx: ClaimContext = {
    claim: r5.get(index.claim)!,
    resources: index.resources.map((r) => r5.get(r)!),
    resolve: (reference) => {
      const found = index.resolve(reference);
      return found ? (r5.get(found) ?? found) : undefined;
    },
    anchored,
  };
  const providerRef = referenceOf(ctx.claim.provider);
  const provider = memberOfOrganization(providerRef ? ctx.resolve(providerRef) : undefined, ctx.resolve);

  const checks: ClaimCheck[] = [
    references,
    ...receipts.checks,
    checkPatient(ctx),
    checkProviderMember(ctx),
    checkEncounterBeforeClaim(ctx),
    checkServiceDates(ctx),
    await checkLicences(ctx, verifier.licences ?? null),
    checkCoverage(ctx),
    await checkDuplicates(ctx, { claimsKey: verifier.claimsKey, fingerprints: verifier.fingerprints, member: provider?.member ?? null }),
  ];
  const fromR4 = receipts.outcomes.some((o) => o.convertedFromR4);
  const created = ctx.claim.created;
  return {
    format: CLAIM_REPORT_FORMAT,
    verdict: verdictOf(checks),
    claim: { resource: versionOf(ctx.claim), created: typeof created === 'string' ? created : null, lines: claimLines(ctx.claim).length },
    fhirVersion: fromR4 ? 'R4' : 'R5',
    form: fromR4
      ? 'the bundle is R4: each resource was checked in the R5 form the node anchored (fhir-adapters R4-to-R5 conversion), which is what its receipt covers'
      : 'the bundle is R5, the form the node anchors',
    trust: { fingerprint: `sha256:${verifier.trustFingerprint}`, chainId: trust.chainId, contracts: { ...trust.contracts }, source: verifier.trustSource },
    checks,
    checkedAt: (verifier.now ?? (() => new Date()))().toISOString(),
  };
}
