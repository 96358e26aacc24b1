// `coverage`: the claim's focal Coverage was in force for the claim's patient on every date of
// service: status active, its period covering the days (by day, an open end counts as covering),
// and its beneficiary the claim's patient.
import { claimLines, dayOf, focalCoverageRef, referenceOf, servicePeriod } from '../claim-lines.js';
import type { ClaimCheck, Evidence } from '../claim-report.js';
import { type ClaimContext, keyOf, versionOf } from './claim-context.js';

export function checkCoverage(ctx: ClaimContext): ClaimCheck {
  const name = 'coverage';
  const ref = focalCoverageRef(ctx.claim);
  const coverage = ref ? ctx.resolve(ref) : undefined;
  if (!coverage || coverage.resourceType !== 'Coverage') {
    return { name, status: 'fail', detail: `the Claim's focal insurance names no Coverage in the bundle (${ref ?? 'none'})`, evidence: [] };
  }
  const at = { resource: versionOf(coverage) };
  const problems: Evidence[] = [];
  if (coverage.status !== 'active') problems.push({ ...at, status: 'fail', note: `status is ${String(coverage.status)}, not active` });

  const patientRef = referenceOf(ctx.claim.patient);
  const patient = patientRef ? ctx.resolve(patientRef) : undefined;
  const beneficiaryRef = referenceOf(coverage.beneficiary);
  const beneficiary = beneficiaryRef ? ctx.resolve(beneficiaryRef) : undefined;
  const patientKey = patient ? keyOf(patient) : patientRef;
  const beneficiaryKey = beneficiary ? keyOf(beneficiary) : beneficiaryRef;
  if (!beneficiaryKey || beneficiaryKey !== patientKey) {
    problems.push({ ...at, status: 'fail', note: `the beneficiary is ${beneficiaryKey ?? 'nobody'}, the claim is for ${patientKey ?? 'nobody'}` });
  }

  const period = coverage.period as { start?: unknown; end?: unknown } | undefined;
  const start = dayOf(period?.start);
  const end = dayOf(period?.end);
  for (const line of claimLines(ctx.claim)) {
    const service = servicePeriod(line, ctx.claim);
    if (!service) continue;
    if ((start !== null && service.start < start) || (end !== null && service.end > end)) {
      problems.push({ ...at, line: line.sequence, status: 'fail', note: `served ${service.start}..${service.end}, coverage period ${start ?? '…'}..${end ?? 'open'}` });
    }
  }
  if (problems.length > 0) return { name, status: 'fail', detail: 'the Coverage was not in force for this patient on the dates of service', evidence: problems };
  return { name, status: 'pass', detail: `${versionOf(coverage)} is active for ${patientKey}, period ${start ?? '…'}..${end ?? 'open'} covers every date of service`, evidence: [] };
}
