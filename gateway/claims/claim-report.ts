// The claim verification report, `careledger-claim-report/1`: the verdict, then every check with
// its status and the evidence it rests on (resource, leaf, root, member, sequence, block, tx), as
// JSON for machines and as text for an investigator. docs/claims.md documents each field; new
// fields may be added within /1, none removed or changed in meaning.
import type { Hex } from '../ledger/ports.js';

export const CLAIM_REPORT_FORMAT = 'careledger-claim-report/1';

/** Check names, in the order they run and are reported. */
export const CLAIM_CHECKS = [
  'references',
  'trust-contract',
  'receipts',
  'patient',
  'provider-member',
  'encounter-before-claim',
  'service-dates',
  'licence',
  'coverage',
  'duplicates',
] as const;
export type ClaimCheckName = (typeof CLAIM_CHECKS)[number];

/** pass: established. warn: holds, with something the payer should weigh. fail: contradicted. skip: could not be established. */
export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

export type Verdict = 'VERIFIED' | 'WARNINGS' | 'FAILED' | 'INCONCLUSIVE';

/** What a check rests on; only the fields that apply are present. */
export interface Evidence {
  /** `Type/id/_history/v`. */
  resource?: string;
  /** Claim line (item.sequence). */
  line?: number;
  status?: CheckStatus;
  leaf?: Hex;
  root?: Hex;
  member?: Hex;
  /** Anchor sequence, decimal. */
  sequence?: string;
  leafIndex?: number;
  block?: number;
  /** Block time, ISO 8601 UTC. */
  blockTime?: string;
  tx?: Hex;
  fingerprint?: Hex;
  /** The receipt check that failed, for a receipt that did not verify. */
  receiptCheck?: string;
  note?: string;
}

export interface ClaimCheck {
  name: ClaimCheckName;
  status: CheckStatus;
  detail: string;
  evidence: Evidence[];
}

export interface ClaimReport {
  format: typeof CLAIM_REPORT_FORMAT;
  verdict: Verdict;
  claim: { resource: string; created: string | null; lines: number };
  /** The FHIR version the bundle was written in; R4 resources are checked in the R5 form their receipts cover. */
  fhirVersion: 'R5' | 'R4';
  form: string;
  trust: { fingerprint: string; chainId: number; contracts: Record<string, Hex>; source: string };
  checks: ClaimCheck[];
  /** When the verifier ran (its clock), ISO 8601. */
  checkedAt: string;
}

/**
 * FAILED when any check fails; else INCONCLUSIVE when any could only skip (every check is needed
 * for a claim to be called verified: chain unreachable, no claims key, nothing to judge a licence
 * by); else WARNINGS when any warns; else VERIFIED.
 */
export function verdictOf(checks: readonly ClaimCheck[]): Verdict {
  if (checks.some((c) => c.status === 'fail')) return 'FAILED';
  if (checks.some((c) => c.status === 'skip')) return 'INCONCLUSIVE';
  if (checks.some((c) => c.status === 'warn')) return 'WARNINGS';
  return 'VERIFIED';
}

/** As `careledger verify`: 0 valid (with or without warnings), 1 invalid, 2 could not verify. */
export function exitCodeOf(verdict: Verdict): number {
  if (verdict === 'FAILED') return 1;
  if (verdict === 'INCONCLUSIVE') return 2;
  return 0;
}

const MARK: Record<CheckStatus, string> = { pass: 'pass', warn: 'WARN', fail: 'FAIL', skip: 'skip' };

function evidenceLine(e: Evidence): string {
  const parts: string[] = [];
  if (e.status && e.status !== 'pass') parts.push(MARK[e.status]);
  if (e.resource) parts.push(e.resource);
  if (e.line !== undefined) parts.push(`line ${e.line}`);
  if (e.member) parts.push(`member ${e.member}`);
  if (e.sequence) parts.push(`anchor ${e.sequence}${e.leafIndex !== undefined ? ` leaf ${e.leafIndex}` : ''}`);
  if (e.block !== undefined) parts.push(`block ${e.block}${e.blockTime ? ` (${e.blockTime})` : ''}`);
  if (e.tx) parts.push(`tx ${e.tx}`);
  if (e.fingerprint) parts.push(`fingerprint ${e.fingerprint}`);
  if (e.receiptCheck) parts.push(`receipt check ${e.receiptCheck}`);
  if (e.note) parts.push(`: ${e.note}`);
  return `      ${parts.join(' ').replace(' :', ':')}`;
}

/** The readable report: verdict first, one line per check, the evidence of the checks that did not pass beneath it. */
export function renderClaimReport(report: ClaimReport, options: { verbose?: boolean } = {}): string {
  const lines = [`${report.verdict}: ${report.claim.resource} (${report.claim.lines} line${report.claim.lines === 1 ? '' : 's'})`];
  if (report.fhirVersion === 'R4') lines.push(`note: ${report.form}`);
  for (const check of report.checks) {
    lines.push(`  ${MARK[check.status].padEnd(4)} ${check.name}: ${check.detail}`);
    if (options.verbose || check.status !== 'pass') for (const e of check.evidence) lines.push(evidenceLine(e));
  }
  lines.push(`trust: chain ${report.trust.chainId}, from ${report.trust.source} (${report.trust.fingerprint})`);
  return lines.join('\n');
}
