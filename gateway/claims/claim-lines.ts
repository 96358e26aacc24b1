// How a Claim (R5 form, as the node stores and anchors it) is read by the fingerprint and the
// verifier: its lines, each line's dates of service, its rendering practitioners, the focal
// Coverage and the Encounters it names. Pure; dates are compared at day granularity (YYYY-MM-DD)
// because claims are billed per day of service and FHIR dates carry no common time zone.
import type { FhirResource } from '../store/service.js';

export interface ClaimLine {
  sequence: number;
  [element: string]: unknown;
}

interface Reference {
  reference?: unknown;
}

interface CareTeamMember {
  sequence?: unknown;
  provider?: Reference;
  role?: { coding?: Array<{ code?: unknown }> };
}

const DAY = /^\d{4}-\d{2}-\d{2}/;
/** claimcareteamrole codes of the one who renders the service (R4/R5 `primary`; `rendering` and `provider` as some EHRs send). */
const RENDERING_ROLES = new Set(['primary', 'rendering', 'provider']);

export function referenceOf(value: unknown): string | null {
  const reference = (value as Reference | undefined)?.reference;
  return typeof reference === 'string' && reference.length > 0 ? reference : null;
}

/** The day of a FHIR date or dateTime, null when it has none. */
export function dayOf(value: unknown): string | null {
  return typeof value === 'string' && DAY.test(value) ? value.slice(0, 10) : null;
}

export function claimLines(claim: FhirResource): ClaimLine[] {
  const items = Array.isArray(claim.item) ? (claim.item as Array<Record<string, unknown>>) : [];
  return items.map((item, i) => ({ ...item, sequence: typeof item.sequence === 'number' ? item.sequence : i + 1 }));
}

/** First and last day of service of a line: servicedDate, servicedPeriod, else the claim's billablePeriod. */
export function servicePeriod(line: ClaimLine, claim: FhirResource): { start: string; end: string } | null {
  const date = dayOf(line.servicedDate);
  if (date) return { start: date, end: date };
  for (const period of [line.servicedPeriod, claim.billablePeriod] as Array<{ start?: unknown; end?: unknown } | undefined>) {
    const start = dayOf(period?.start);
    if (start) return { start, end: dayOf(period?.end) ?? start };
  }
  return null;
}

/** The line's date of service: the first day of its service period. */
export function dateOfService(line: ClaimLine, claim: FhirResource): string | null {
  return servicePeriod(line, claim)?.start ?? null;
}

function careTeam(claim: FhirResource): CareTeamMember[] {
  const team = Array.isArray(claim.careTeam) ? (claim.careTeam as CareTeamMember[]) : [];
  return [...team].sort((a, b) => Number(a.sequence) - Number(b.sequence));
}

/**
 * References (Practitioner or PractitionerRole) of who rendered the line: the care team members
 * the line names by careTeamSequence, else those whose role is primary (rendering), else the
 * whole care team.
 */
export function renderingPractitionerRefs(claim: FhirResource, line: ClaimLine): string[] {
  const team = careTeam(claim);
  const named = Array.isArray(line.careTeamSequence) ? (line.careTeamSequence as unknown[]) : [];
  let members = team.filter((m) => named.includes(m.sequence));
  if (members.length === 0) members = team.filter((m) => m.role?.coding?.some((c) => typeof c.code === 'string' && RENDERING_ROLES.has(c.code)));
  if (members.length === 0) members = team;
  return members.map((m) => referenceOf(m.provider)).filter((r): r is string => r !== null && /(^|\/)(Practitioner|PractitionerRole)\//.test(r));
}

/** The billing practitioner of a line (what its fingerprint names): its first rendering practitioner. */
export function billingPractitionerRef(claim: FhirResource, line: ClaimLine): string | null {
  return renderingPractitionerRefs(claim, line)[0] ?? null;
}

/** The Coverage of the focal insurance (R4/R5 insurance.focal), else of the first. */
export function focalCoverageRef(claim: FhirResource): string | null {
  const insurance = Array.isArray(claim.insurance) ? (claim.insurance as Array<{ focal?: unknown; coverage?: Reference }>) : [];
  const focal = insurance.find((i) => i?.focal === true) ?? insurance[0];
  return focal ? referenceOf(focal.coverage) : null;
}

/** Encounters a line names (item.encounter), else the claim's own (R5 Claim.encounter), else every line's. */
export function encounterRefs(claim: FhirResource, line?: ClaimLine): string[] {
  const refs = (value: unknown): string[] => (Array.isArray(value) ? value.map(referenceOf).filter((r): r is string => r !== null) : []);
  const own = line ? refs(line.encounter) : [];
  if (own.length > 0) return own;
  const top = refs(claim.encounter);
  if (top.length > 0) return top;
  return [...new Set(claimLines(claim).flatMap((l) => refs(l.encounter)))];
}
