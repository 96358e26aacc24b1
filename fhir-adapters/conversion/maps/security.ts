import type { RuleTable } from '../rules.js';

const AUDIT_OUTCOME: Record<string, { code: string; display: string }> = {
  '0': { code: 'success', display: 'Success' },
  '4': { code: 'warning', display: 'Warning' },
  '8': { code: 'error', display: 'Error' },
  '12': { code: 'fatal', display: 'Fatal' },
};

/** Consent, Provenance, AuditEvent (HL7 xver Consent4to5.fml, Provenance4to5.fml, AuditEvent4to5.fml). */
export const securityRules: RuleTable = {
  Consent: {
    elements: {
      // ppc.status-4to5
      status: { codes: { proposed: 'draft', rejected: 'not-done' } },
      patient: { to: 'subject' },
      dateTime: { to: 'date' },
      performer: { to: 'grantee' },
      policyRule: { to: 'regulatoryBasis' },
      policy: { to: 'policyBasis' },
    },
  },
  'Consent.policy': { elements: { uri: { to: 'url' } } },
  'Consent.provision': {
    elements: {
      type: { to: 'decision', toRoot: true },
      class: { to: 'documentType' },
    },
  },
  Provenance: {
    elements: { reason: { to: 'authorization' } },
  },
  // R5 drops `derivation`; `source` is the nearest role (the original is kept in an extension).
  'Provenance.entity': {
    elements: { role: { codes: { derivation: 'source', revision: 'revision', quotation: 'quotation', source: 'source', removal: 'removal' } } },
  },
  AuditEvent: {
    elements: {
      type: { to: 'category' },
      subtype: { to: 'code', wrap: 'coding', group: true },
      period: { to: 'occurred' },
      outcome: {
        to: 'outcome',
        transform: (v) => {
          const mapped = AUDIT_OUTCOME[v as string];
          return mapped
            ? { code: { system: 'http://hl7.org/fhir/issue-severity', ...mapped } }
            : { code: { system: 'http://terminology.hl7.org/CodeSystem/audit-event-outcome', code: v } };
        },
      },
      outcomeDesc: { to: 'outcome', transform: (v) => ({ detail: [{ text: v }] }) },
      purposeOfEvent: { to: 'authorization' },
    },
  },
  'AuditEvent.agent': {
    elements: {
      purposeOfUse: { to: 'authorization' },
    },
  },
};
