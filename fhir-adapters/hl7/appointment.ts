// SIU^S12-S15 (+ S26) -> Appointment (v2-to-FHIR IG segment map SCH[Appointment], with AIS/AIG/
// AIL/AIP for the time and the resources booked). Written for R5: `reason` is a
// CodeableReference and every participant carries a status.

import type { FhirResource } from '../../gateway/store/service.js';
import { cweToCodeableConcept, eiToIdentifier, type Identifier, xcnToReference } from './datatypes.js';
import { optionalField, readInstant, type MappingContext } from './mapping-context.js';
import { Hl7MappingError, describeLocation } from './mapping-error.js';
import type { V2Segment } from './v2-segment.js';

/** SCH-25 filler status (table 0278) -> appointmentstatus. */
const FILLER_STATUS: Record<string, string> = {
  PENDING: 'pending', WAITLIST: 'waitlist', BOOKED: 'booked', OVERBOOK: 'booked', STARTED: 'arrived', COMPLETE: 'fulfilled',
  CANCELLED: 'cancelled', DC: 'cancelled', DELETED: 'entered-in-error', NOSHOW: 'noshow', BLOCKED: 'booked',
};
/** The trigger event decides when SCH-25 is empty: S15 cancels, S26 records a no-show. */
const EVENT_STATUS: Record<string, string> = { S12: 'booked', S13: 'booked', S14: 'booked', S15: 'cancelled', S26: 'noshow' };
/** Statuses R5 (app-3) lets go without a start and an end. */
const UNTIMED = new Set(['proposed', 'cancelled', 'waitlist', 'entered-in-error']);
/** Duration units (CNE, ISO+ / ANSI): minutes unless the sender says otherwise. */
const MINUTES_PER: Record<string, number> = { S: 1 / 60, MIN: 1, H: 60, HR: 60, D: 1440 };

export interface SchedulingSegments {
  sch: V2Segment;
  /** AIS (service), AIG (general resource), AIL (location), AIP (personnel), in message order. */
  resources: V2Segment[];
}

export function appointmentIdentifiers(ctx: MappingContext, sch: V2Segment): Identifier[] {
  return [eiToIdentifier(ctx, sch.first(2), 'FILL'), eiToIdentifier(ctx, sch.first(1), 'PLAC')].filter((i) => i !== undefined);
}

function addMinutes(instant: string, minutes: number): string {
  const offset = /([+-]\d{2}:\d{2}|Z)$/.exec(instant)?.[1] ?? 'Z';
  const utc = new Date(Date.parse(instant) + minutes * 60_000);
  if (offset === 'Z') return utc.toISOString().replace('.000Z', 'Z');
  const sign = offset.startsWith('-') ? -1 : 1;
  const shift = sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6)));
  return `${new Date(utc.getTime() + shift * 60_000).toISOString().slice(0, 19)}${offset}`;
}

/** Start and end: SCH-11 (TQ, components 4 and 5) in v2.3-2.5 feeds, else the first AIS-4 with
 * AIS-7/AIS-8 as duration (any AIx segment has start in field 6 for AIG/AIL/AIP). */
function timing(ctx: MappingContext, segments: SchedulingSegments): { start?: string; end?: string } {
  const { sch } = segments;
  const start = optionalField(ctx, () => readInstant(ctx, sch, 11, 4));
  const end = optionalField(ctx, () => readInstant(ctx, sch, 11, 5));
  if (start && end) return { start, end };
  for (const segment of segments.resources) {
    const [startField, durationField] = segment.name === 'AIS' ? [4, 7] : [6, 9];
    const aStart = optionalField(ctx, () => readInstant(ctx, segment, startField));
    if (!aStart) continue;
    const duration = Number(segment.value(durationField));
    const unit = segment.value(durationField + 1).toUpperCase() || 'MIN';
    if (Number.isFinite(duration) && duration > 0 && MINUTES_PER[unit]) return { start: aStart, end: addMinutes(aStart, duration * MINUTES_PER[unit]) };
    return { start: aStart };
  }
  return { start };
}

export function mapAppointment(ctx: MappingContext, segments: SchedulingSegments, context: { id: string; event: string; patient: string }): FhirResource {
  const { sch } = segments;
  const fillerStatus = sch.value(25).toUpperCase();
  const status = FILLER_STATUS[fillerStatus] ?? EVENT_STATUS[context.event] ?? 'booked';
  const { start, end } = timing(ctx, segments);
  if (!UNTIMED.has(status) && !(start && end)) {
    throw new Hl7MappingError('missing-field', `${describeLocation(sch.at(11))} and AIS-4/AIS-7 give no start and end: a ${status} appointment needs both`, sch.at(11));
  }

  const appointment: FhirResource = { resourceType: 'Appointment', id: context.id };
  const identifier = appointmentIdentifiers(ctx, sch);
  if (identifier.length > 0) appointment.identifier = identifier;
  appointment.status = status;
  if (status === 'cancelled') {
    const why = cweToCodeableConcept(ctx, sch.first(6));
    if (why) appointment.cancellationReason = why;
  }
  const type = cweToCodeableConcept(ctx, sch.first(8));
  if (type) appointment.appointmentType = type;
  const reason = cweToCodeableConcept(ctx, sch.first(7));
  if (reason) appointment.reason = [{ concept: reason }];
  if (start && end) {
    appointment.start = start;
    appointment.end = end;
  }
  const participant: Array<Record<string, unknown>> = [{ actor: { reference: context.patient }, status: 'accepted' }];
  for (const segment of segments.resources) {
    const actor =
      segment.name === 'AIP' ? xcnToReference(ctx, segment.first(3))
      : segment.name === 'AIL' ? locationDisplay(segment)
      : segment.name === 'AIG' ? displayOf(segment.value(3, 2) || segment.value(3, 1))
      : undefined;
    if (actor) participant.push({ actor, status: 'accepted' });
  }
  appointment.participant = participant;
  return appointment;
}

function displayOf(text: string | undefined): Record<string, unknown> | undefined {
  return text ? { display: text } : undefined;
}

function locationDisplay(ail: V2Segment): Record<string, unknown> | undefined {
  const pl = ail.first(3);
  return displayOf([pl.get(1), pl.get(2), pl.get(3)].filter(Boolean).join(' '));
}
