// `encounter-before-claim` and `service-dates`: the service was documented before it was billed,
// and billed for the days it happened. Order comes from the chain, not from dates the hospital
// wrote: the Encounter version's place in the journal (anchor sequence, then leaf index, for one
// member; the block across members) must come before the Claim's. Backfilled history keeps its
// order this way, where comparing an anchor's block time with Claim.created would not.
import type { FhirResource } from '../../store/service.js';
import { claimLines, dayOf, encounterRefs, servicePeriod } from '../claim-lines.js';
import type { ClaimCheck, Evidence } from '../claim-report.js';
import { type AnchoredVersion, type ClaimContext, anchorEvidence, keyOf, versionOf } from './claim-context.js';

/** Negative when `a` was journaled before `b`. */
function journalOrder(a: AnchoredVersion, b: AnchoredVersion): number {
  if (a.anchor.member.toLowerCase() === b.anchor.member.toLowerCase()) {
    if (a.anchor.sequence !== b.anchor.sequence) return a.anchor.sequence < b.anchor.sequence ? -1 : 1;
    return a.receipt.leafIndex - b.receipt.leafIndex;
  }
  return a.anchor.blockNumber - b.anchor.blockNumber;
}

function resolvedEncounters(ctx: ClaimContext, refs: string[]): FhirResource[] {
  return refs.map((r) => ctx.resolve(r)).filter((r): r is FhirResource => r?.resourceType === 'Encounter');
}

export function checkEncounterBeforeClaim(ctx: ClaimContext): ClaimCheck {
  const name = 'encounter-before-claim';
  const claim = ctx.anchored.get(keyOf(ctx.claim));
  if (!claim) return { name, status: 'skip', detail: "the Claim's receipt did not verify, so its place on the chain is unknown", evidence: [] };
  const encounters = resolvedEncounters(ctx, encounterRefs(ctx.claim));
  if (encounters.length === 0) return { name, status: 'skip', detail: 'the Claim names no Encounter in the bundle: nothing shows the service was documented', evidence: [anchorEvidence(claim)] };
  const evidence: Evidence[] = [{ ...anchorEvidence(claim), note: 'the Claim' }];
  let late = 0;
  let unknown = 0;
  for (const encounter of encounters) {
    const anchored = ctx.anchored.get(keyOf(encounter));
    if (!anchored) {
      unknown++;
      evidence.push({ resource: versionOf(encounter), status: 'skip', note: 'its receipt did not verify' });
      continue;
    }
    const order = journalOrder(anchored, claim);
    if (order > 0) {
      late++;
      evidence.push({ ...anchorEvidence(anchored), status: 'fail', note: 'anchored after the Claim: the encounter was documented after it was billed' });
    } else {
      evidence.push({ ...anchorEvidence(anchored), note: order === 0 ? 'same block as the Claim' : 'anchored before the Claim' });
    }
  }
  if (late > 0) return { name, status: 'fail', detail: `${late} Encounter(s) were anchored after the Claim`, evidence };
  if (unknown > 0) return { name, status: 'skip', detail: `${unknown} Encounter(s) have no verified anchor to order`, evidence };
  return { name, status: 'pass', detail: `the ${encounters.length} Encounter(s) were anchored before the Claim`, evidence };
}

function periodOf(encounter: FhirResource): { start: string | null; end: string | null } {
  // R5 Encounter.actualPeriod; R4's period (and R5 resources written with it) read the same.
  const period = (encounter.actualPeriod ?? encounter.period) as { start?: unknown; end?: unknown } | undefined;
  return { start: dayOf(period?.start), end: dayOf(period?.end) };
}

function inside(service: { start: string; end: string }, encounter: FhirResource): boolean {
  const { start, end } = periodOf(encounter);
  return start !== null && start <= service.start && (end === null || service.end <= end);
}

function describe(encounter: FhirResource): string {
  const { start, end } = periodOf(encounter);
  return `${versionOf(encounter)} ran ${start ?? '?'}..${end ?? 'ongoing'}`;
}

export function checkServiceDates(ctx: ClaimContext): ClaimCheck {
  const name = 'service-dates';
  const evidence: Evidence[] = [];
  let outside = 0;
  let unknown = 0;
  const lines = claimLines(ctx.claim);
  for (const line of lines) {
    const service = servicePeriod(line, ctx.claim);
    const encounters = resolvedEncounters(ctx, encounterRefs(ctx.claim, line));
    if (!service || encounters.length === 0) {
      unknown++;
      evidence.push({ line: line.sequence, status: 'skip', note: service ? 'names no Encounter in the bundle' : 'has no date of service' });
      continue;
    }
    const when = service.start === service.end ? service.start : `${service.start}..${service.end}`;
    if (encounters.some((e) => inside(service, e))) {
      evidence.push({ line: line.sequence, note: `served ${when}, inside ${encounters.map(describe).join('; ')}` });
    } else {
      outside++;
      evidence.push({ line: line.sequence, status: 'fail', note: `served ${when}, outside ${encounters.map(describe).join('; ')}` });
    }
  }
  const billable = ctx.claim.billablePeriod as { start?: unknown; end?: unknown } | undefined;
  const billStart = dayOf(billable?.start);
  const all = resolvedEncounters(ctx, encounterRefs(ctx.claim));
  if (billStart && all.length > 0) {
    const bill = { start: billStart, end: dayOf(billable?.end) ?? billStart };
    if (!all.some((e) => inside(bill, e))) {
      outside++;
      evidence.push({ resource: versionOf(ctx.claim), status: 'fail', note: `billablePeriod ${bill.start}..${bill.end} lies outside ${all.map(describe).join('; ')}` });
    }
  }
  if (outside > 0) return { name, status: 'fail', detail: `${outside} date(s) of service lie outside the encounter period (compared by day)`, evidence };
  if (unknown > 0) return { name, status: 'skip', detail: `${unknown} line(s) could not be placed in an encounter`, evidence };
  return { name, status: 'pass', detail: `every date of service of the ${lines.length} line(s) lies inside its encounter's period (compared by day)`, evidence };
}
