import type { RuleTable } from '../rules.js';

/** MedicationRequest and the Dosage datatype (HL7 xver MedicationRequest4to5.fml, Dosage4to5.fml). */
export const medicationRules: RuleTable = {
  MedicationRequest: {
    elements: {
      reasonCode: { to: 'reason' },
      reasonReference: { to: 'reason' },
      reportedReference: { to: 'informationSource' },
    },
  },
  'MedicationRequest.dispenseRequest': { elements: { performer: { to: 'dispenser' } } },
  Dosage: {
    elements: {
      asNeededCodeableConcept: { to: 'asNeededFor' },
    },
  },
};
