import type { RuleTable } from '../rules.js';

const PARTICIPANT_TYPE = 'http://terminology.hl7.org/CodeSystem/provenance-participant-type';
const participantFunction = (code: string, display: string): Record<string, unknown> => ({
  function: { coding: [{ system: PARTICIPANT_TYPE, code, display }] },
});

/** Clinical resources (HL7 xver *4to5.fml for each type). */
export const clinicalRules: RuleTable = {
  Condition: {
    elements: {
      evidence: { flatten: true },
      recorder: { to: 'participant', wrap: 'actor', with: participantFunction('enterer', 'Enterer') },
      asserter: { to: 'participant', wrap: 'actor', with: participantFunction('author', 'Author') },
    },
  },
  'Condition.evidence': {
    elements: { code: { to: 'evidence' }, detail: { to: 'evidence' } },
  },
  AllergyIntolerance: {
    elements: {
      type: { system: 'http://hl7.org/fhir/allergy-intolerance-type' },
      recorder: { to: 'participant', wrap: 'actor', with: participantFunction('enterer', 'Enterer') },
      asserter: { to: 'participant', wrap: 'actor', with: participantFunction('author', 'Author') },
    },
  },
  Procedure: {
    elements: {
      performed: { to: 'occurrence' },
      reasonCode: { to: 'reason' },
      reasonReference: { to: 'reason' },
      complicationDetail: { to: 'complication' },
      usedReference: { to: 'used' },
      usedCode: { to: 'used' },
      asserter: { to: 'reported' },
    },
  },
  Immunization: {
    elements: {
      reasonCode: { to: 'reason' },
      reasonReference: { to: 'reason' },
      reportOrigin: { to: 'informationSource' },
    },
  },
  'Immunization.reaction': { elements: { detail: { to: 'manifestation' } } },
  DiagnosticReport: {
    elements: { imagingStudy: { to: 'study' } },
  },
};
