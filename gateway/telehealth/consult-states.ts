// The consult's life as a pure state machine: its states, the actions that move it, who may take
// each, and the FHIR R5 codes each state is recorded with (Appointment.status, Encounter.status,
// Slot.status). The session service asks `transition` before it writes anything, so an illegal
// action is refused (409) with nothing stored. `connecting` is a session sub-state: FHIR has no
// code for "admitted, media not yet up", so the Appointment stays `arrived` and the Encounter
// `planned` until the first peer connection is reported.

export const CONSULT_STATES = [
  'scheduled',
  'checked-in',
  'waiting',
  'connecting',
  'in-progress',
  'wrapping-up',
  'completed',
  'cancelled',
  'no-show',
] as const;
export type ConsultState = (typeof CONSULT_STATES)[number];

export const CONSULT_ACTIONS = ['check-in', 'arrive', 'admit', 'start', 'wrap-up', 'complete', 'cancel', 'no-show'] as const;
export type ConsultAction = (typeof CONSULT_ACTIONS)[number];

/** Who takes an action: the patient (or staff at the front desk for them) or the host's provider side. */
export type ConsultActor = 'patient' | 'provider';

interface ActionRule {
  from: readonly ConsultState[];
  to: ConsultState;
  /** Who may take it; staff of the host may take any action. */
  by: readonly ConsultActor[];
}

const RULES: Record<ConsultAction, ActionRule> = {
  'check-in': { from: ['scheduled'], to: 'checked-in', by: ['patient'] },
  // The patient enters the virtual waiting room (asks for their join token).
  arrive: { from: ['checked-in'], to: 'waiting', by: ['patient'] },
  admit: { from: ['waiting'], to: 'connecting', by: ['provider'] },
  // The first peer connection is up (reported by a participant or the relay).
  start: { from: ['connecting'], to: 'in-progress', by: ['provider', 'patient'] },
  'wrap-up': { from: ['in-progress'], to: 'wrapping-up', by: ['provider'] },
  complete: { from: ['wrapping-up'], to: 'completed', by: ['provider'] },
  cancel: { from: ['scheduled', 'checked-in', 'waiting', 'connecting', 'in-progress'], to: 'cancelled', by: ['provider', 'patient'] },
  'no-show': { from: ['scheduled', 'checked-in'], to: 'no-show', by: ['provider'] },
};

export const FINAL_STATES: ReadonlySet<ConsultState> = new Set(['completed', 'cancelled', 'no-show']);

/** States in which participants may be connected (join tokens are issued, the room is open). */
export const LIVE_STATES: ReadonlySet<ConsultState> = new Set(['waiting', 'connecting', 'in-progress', 'wrapping-up']);

/** States in which the provider may still invite, withdraw and escalate. */
export const OPEN_STATES: ReadonlySet<ConsultState> = new Set(['scheduled', 'checked-in', 'waiting', 'connecting', 'in-progress', 'wrapping-up']);

export interface FhirCodes {
  appointment: 'booked' | 'checked-in' | 'arrived' | 'fulfilled' | 'cancelled' | 'noshow';
  encounter: 'planned' | 'in-progress' | 'discharged' | 'completed' | 'cancelled';
  slot: 'busy' | 'free';
}

/** The FHIR R5 record of each state (the table in docs/telehealth.md). */
export const FHIR_CODES: Record<ConsultState, FhirCodes> = {
  scheduled: { appointment: 'booked', encounter: 'planned', slot: 'busy' },
  'checked-in': { appointment: 'checked-in', encounter: 'planned', slot: 'busy' },
  waiting: { appointment: 'arrived', encounter: 'planned', slot: 'busy' },
  connecting: { appointment: 'arrived', encounter: 'planned', slot: 'busy' },
  'in-progress': { appointment: 'arrived', encounter: 'in-progress', slot: 'busy' },
  'wrapping-up': { appointment: 'arrived', encounter: 'discharged', slot: 'busy' },
  completed: { appointment: 'fulfilled', encounter: 'completed', slot: 'busy' },
  // A cancelled consult gives its slot back; a no-show's time is gone.
  cancelled: { appointment: 'cancelled', encounter: 'cancelled', slot: 'free' },
  'no-show': { appointment: 'noshow', encounter: 'cancelled', slot: 'busy' },
};

export type TransitionResult = { ok: true; to: ConsultState } | { ok: false; reason: string };

/** Where `action` by `actor` takes a consult in state `from`, or why it may not. */
export function transition(from: ConsultState, action: ConsultAction, actor: ConsultActor | 'staff'): TransitionResult {
  const rule = RULES[action];
  if (actor !== 'staff' && !rule.by.includes(actor)) {
    return { ok: false, reason: `${action} is taken by the ${rule.by.join(' or ')}, not the ${actor}` };
  }
  if (!rule.from.includes(from)) {
    const allowed = rule.from.join(', ');
    return { ok: false, reason: `Cannot ${action} a consult that is ${from}: ${action} is allowed only when the consult is ${allowed}` };
  }
  return { ok: true, to: rule.to };
}

/** The actions open from `state` (for the API's `next` hints). */
export function actionsFrom(state: ConsultState): ConsultAction[] {
  return CONSULT_ACTIONS.filter((action) => RULES[action].from.includes(state));
}

export function isConsultState(value: unknown): value is ConsultState {
  return typeof value === 'string' && (CONSULT_STATES as readonly string[]).includes(value);
}
