import type { RuleTable } from '../rules.js';

/** Encounter and Appointment (HL7 xver Encounter4to5.fml, Appointment4to5.fml). */
export const workflowRules: RuleTable = {
  Encounter: {
    elements: {
      // enc.status-4to5: R5 folds the arrival sub-states into in-progress.
      status: {
        codes: {
          planned: 'planned',
          arrived: 'in-progress',
          triaged: 'in-progress',
          'in-progress': 'in-progress',
          onleave: 'on-hold',
          finished: 'completed',
          cancelled: 'cancelled',
          'entered-in-error': 'entered-in-error',
          unknown: 'unknown',
        },
      },
      period: { to: 'actualPeriod' },
      hospitalization: { to: 'admission' },
      reasonCode: { to: 'reason', wrap: 'value' },
      reasonReference: { to: 'reason', wrap: 'value' },
    },
  },
  'Encounter.participant': { elements: { individual: { to: 'actor' } } },
  'Encounter.hospitalization': {
    elements: {
      dietPreference: { toRoot: true },
      specialCourtesy: { toRoot: true },
      specialArrangement: { toRoot: true },
    },
  },
  'Encounter.location': {
    elements: {
      physicalType: { to: 'form' },
      status: { codes: { planned: 'planned', active: 'active', reserved: 'reserved', completed: 'completed' } },
    },
  },
  Appointment: {
    elements: {
      cancelationReason: { to: 'cancellationReason' },
      reasonCode: { to: 'reason' },
      reasonReference: { to: 'reason' },
      comment: { to: 'note' },
    },
  },
  'Appointment.participant': {
    elements: {
      required: { transform: (v) => v === 'required' },
    },
  },
};
