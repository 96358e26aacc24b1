import type { RuleTable } from '../rules.js';

/** DocumentReference (HL7 xver DocumentReference4to5.fml). */
export const documentRules: RuleTable = {
  DocumentReference: {
    elements: {
      masterIdentifier: { to: 'identifier' },
      context: { flatten: true },
      authenticator: {
        to: 'attester',
        wrap: 'party',
        with: { mode: { coding: [{ system: 'http://hl7.org/fhir/composition-attestation-mode', code: 'professional' }] } },
      },
    },
  },
  // R5 lifts the R4 context backbone onto the resource; its encounter list becomes `context`.
  'DocumentReference.context': { elements: { encounter: { to: 'context' } } },
  'DocumentReference.relatesTo': {
    elements: { code: { system: 'http://hl7.org/fhir/document-relationship-type' } },
  },
  'DocumentReference.content': {
    elements: { format: { to: 'profile', wrap: 'value' } },
  },
};
