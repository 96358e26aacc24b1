import { describe, expect, it } from 'vitest';
import { citedReferences } from './evidence-references.js';

describe('citedReferences', () => {
  it('walks the followed paths of a Claim, arrays item by item, in table order', () => {
    const claim = {
      resourceType: 'Claim',
      patient: { reference: 'Patient/p' },
      provider: { reference: 'Organization/h' },
      insurer: { identifier: { system: 'urn:careledger:member', value: 'payer-1' } },
      careTeam: [{ sequence: 1, provider: { reference: 'Practitioner/a' } }, { sequence: 2, provider: { reference: 'PractitionerRole/b' } }],
      insurance: [{ coverage: { reference: 'Coverage/c' } }],
      supportingInfo: [{ category: {}, valueString: 'no reference' }, { category: {}, valueReference: { reference: 'Observation/o' } }],
      item: [{ encounter: [{ reference: 'Encounter/e' }] }, { encounter: [{ reference: 'Encounter/e' }] }],
      related: [{ claim: { reference: 'Claim/other' } }],
    };
    expect(citedReferences(claim)).toEqual([
      { path: 'Claim.patient', reference: 'Patient/p' },
      { path: 'Claim.provider', reference: 'Organization/h' },
      { path: 'Claim.careTeam[0].provider', reference: 'Practitioner/a' },
      { path: 'Claim.careTeam[1].provider', reference: 'PractitionerRole/b' },
      { path: 'Claim.insurance[0].coverage', reference: 'Coverage/c' },
      { path: 'Claim.supportingInfo[1].valueReference', reference: 'Observation/o' },
      { path: 'Claim.item[0].encounter[0]', reference: 'Encounter/e' },
      { path: 'Claim.item[1].encounter[0]', reference: 'Encounter/e' },
    ]);
  });

  it("takes a CodeableReference's reference (R5 Encounter.diagnosis.condition) and follows nothing of untabled types", () => {
    const encounter = { resourceType: 'Encounter', subject: { reference: 'Patient/p' }, diagnosis: [{ condition: [{ reference: { reference: 'Condition/c' } }, { concept: { text: 'no reference' } }] }] };
    expect(citedReferences(encounter)).toEqual([
      { path: 'Encounter.subject', reference: 'Patient/p' },
      { path: 'Encounter.diagnosis[0].condition[0]', reference: 'Condition/c' },
    ]);
    expect(citedReferences({ resourceType: 'Patient', generalPractitioner: [{ reference: 'Practitioner/gp' }] })).toEqual([]);
  });
});
