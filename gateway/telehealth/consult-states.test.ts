import { describe, expect, it } from 'vitest';
import { CONSULT_ACTIONS, CONSULT_STATES, FHIR_CODES, FINAL_STATES, actionsFrom, transition, type ConsultAction, type ConsultState } from './consult-states.js';

// The whole table, written out independently of the module: [from, action, to].
const LEGAL: Array<[ConsultState, ConsultAction, ConsultState]> = [
  ['scheduled', 'check-in', 'checked-in'],
  ['checked-in', 'arrive', 'waiting'],
  ['waiting', 'admit', 'connecting'],
  ['connecting', 'start', 'in-progress'],
  ['in-progress', 'wrap-up', 'wrapping-up'],
  ['wrapping-up', 'complete', 'completed'],
  ['scheduled', 'cancel', 'cancelled'],
  ['checked-in', 'cancel', 'cancelled'],
  ['waiting', 'cancel', 'cancelled'],
  ['connecting', 'cancel', 'cancelled'],
  ['in-progress', 'cancel', 'cancelled'],
  ['scheduled', 'no-show', 'no-show'],
  ['checked-in', 'no-show', 'no-show'],
];

describe('consult state machine', () => {
  it('allows exactly the legal transitions (staff may take any of them)', () => {
    for (const from of CONSULT_STATES) {
      for (const action of CONSULT_ACTIONS) {
        const legal = LEGAL.find(([f, a]) => f === from && a === action);
        const result = transition(from, action, 'staff');
        if (legal) expect(result, `${from} --${action}`).toEqual({ ok: true, to: legal[2] });
        else {
          expect(result.ok, `${from} --${action} must be refused`).toBe(false);
          if (!result.ok) expect(result.reason).toContain(`Cannot ${action} a consult that is ${from}`);
        }
      }
    }
  });

  it('keeps the provider actions from the patient and the patient actions from the provider', () => {
    expect(transition('waiting', 'admit', 'patient')).toMatchObject({ ok: false, reason: expect.stringMatching(/provider/) });
    expect(transition('in-progress', 'wrap-up', 'patient').ok).toBe(false);
    expect(transition('wrapping-up', 'complete', 'patient').ok).toBe(false);
    expect(transition('scheduled', 'no-show', 'patient').ok).toBe(false);
    expect(transition('scheduled', 'check-in', 'provider').ok).toBe(false);
    expect(transition('checked-in', 'arrive', 'provider').ok).toBe(false);
    expect(transition('waiting', 'cancel', 'patient')).toEqual({ ok: true, to: 'cancelled' });
    expect(transition('connecting', 'start', 'patient')).toEqual({ ok: true, to: 'in-progress' });
  });

  it('leaves no way out of a final state', () => {
    for (const state of FINAL_STATES) expect(actionsFrom(state)).toEqual([]);
  });

  it('maps every state onto the FHIR codes of the issue', () => {
    expect(FHIR_CODES.scheduled.appointment).toBe('booked');
    expect(FHIR_CODES['checked-in'].appointment).toBe('checked-in');
    expect(FHIR_CODES.waiting.appointment).toBe('arrived');
    expect(FHIR_CODES['in-progress'].encounter).toBe('in-progress');
    expect(FHIR_CODES['wrapping-up'].encounter).toBe('discharged');
    expect(FHIR_CODES.completed).toMatchObject({ appointment: 'fulfilled', encounter: 'completed' });
    expect(FHIR_CODES.cancelled).toMatchObject({ appointment: 'cancelled', slot: 'free' });
    expect(FHIR_CODES['no-show'].appointment).toBe('noshow');
  });
});
