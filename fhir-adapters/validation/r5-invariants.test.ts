// R5 FHIRPath invariants in validateR5: a resource breaking one is refused with an issue naming
// the constraint key and its expression, wherever the node sits (resource root, backbone
// element, contained resource, Bundle entry); the shortcut that skips FHIRPath for nodes lacking
// what an invariant reads gives the same verdicts as evaluating every invariant.
import { describe, expect, it } from 'vitest';
import { InvariantChecker } from './invariant-check.js';
import type { InvariantModel } from './invariant-extraction.js';
import r5Invariants from './r5-invariants.json' with { type: 'json' };
import { R5 } from './release-models.js';
import { validateR5 } from './r5-validator.js';

const model = r5Invariants as InvariantModel;
const glucose = {
  resourceType: 'Observation',
  id: 'g1',
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '2339-0' }] },
  subject: { reference: 'Patient/p1' },
  valueQuantity: { value: 5.4, unit: 'mmol/L', system: 'http://unitsofmeasure.org', code: 'mmol/L' },
};
const absent = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/data-absent-reason', code: 'error' }] };

function invariantErrors(resource: unknown) {
  return validateR5(resource).filter((issue) => issue.code === 'invariant');
}

describe('R5 invariants', () => {
  it('accepts a valid Observation, Patient and Encounter', () => {
    expect(validateR5(glucose)).toEqual([]);
    expect(validateR5({ resourceType: 'Patient', id: 'p1', contact: [{ name: { family: 'Doe' } }] })).toEqual([]);
    expect(validateR5({ resourceType: 'Encounter', id: 'e1', status: 'completed', participant: [{ actor: { reference: 'Practitioner/d1' } }] })).toEqual([]);
  });

  it('refuses a value with a dataAbsentReason (obs-6), naming the key and the expression', () => {
    expect(invariantErrors({ ...glucose, dataAbsentReason: absent })).toEqual([
      {
        severity: 'error',
        code: 'invariant',
        details: { text: 'Constraint obs-6 failed: dataAbsentReason SHALL only be present if Observation.value[x] is not present' },
        diagnostics: 'dataAbsentReason.empty() or value.empty()',
        expression: ['Observation'],
      },
    ]);
  });

  it('refuses a component with the code of the Observation itself when there is a value (obs-7)', () => {
    const errors = invariantErrors({ ...glucose, component: [{ code: glucose.code, valueQuantity: glucose.valueQuantity }] });
    expect(errors.map((e) => e.details?.text?.split(':')[0])).toEqual(['Constraint obs-7 failed']);
  });

  it('checks backbone elements: a Patient.contact with no detail (pat-1), a referenceRange with nothing (obs-3)', () => {
    const patient = invariantErrors({ resourceType: 'Patient', id: 'p1', contact: [{ gender: 'female' }] });
    expect(patient.map((e) => [e.details?.text?.split(':')[0], e.expression?.[0]])).toEqual([['Constraint pat-1 failed', 'Patient.contact[0]']]);
    const range = invariantErrors({ ...glucose, referenceRange: [{ type: { text: 'normal' } }] });
    expect(range.map((e) => [e.details?.text?.split(':')[0], e.expression?.[0]])).toEqual([['Constraint obs-3 failed', 'Observation.referenceRange[0]']]);
  });

  it('checks contained resources and Bundle entries with their own %resource', () => {
    const contained = invariantErrors({
      resourceType: 'Patient',
      id: 'p1',
      contained: [{ ...glucose, id: 'o1', dataAbsentReason: absent }],
      generalPractitioner: [{ reference: '#o1' }],
    });
    expect(contained.map((e) => [e.details?.text?.split(':')[0], e.expression?.[0]])).toEqual([['Constraint obs-6 failed', 'Patient.contained[0]']]);
    const nested = invariantErrors({ resourceType: 'Patient', id: 'p1', contained: [{ resourceType: 'Patient', id: 'q', contained: [{ resourceType: 'Patient', id: 'r' }] }] });
    expect(nested.map((e) => e.details?.text?.split(':')[0])).toContain('Constraint dom-2 failed');
    const bundle = invariantErrors({ resourceType: 'Bundle', type: 'collection', entry: [{ fullUrl: 'urn:uuid:9d1f6a3e-2f4b-4c59-9a57-0c1b8e1e2a11', resource: { ...glucose, dataAbsentReason: absent } }] });
    expect(bundle.map((e) => e.expression?.[0])).toEqual(['Bundle.entry[0].resource']);
    // The Bundle's own invariants too: a document Bundle needs an identifier (bdl-9).
    const document = invariantErrors({ resourceType: 'Bundle', type: 'document', timestamp: '2024-01-01T00:00:00Z', entry: [{ fullUrl: 'urn:uuid:9d1f6a3e-2f4b-4c59-9a57-0c1b8e1e2a12', resource: glucose }] });
    expect(document.map((e) => e.details?.text?.split(':')[0])).toContain('Constraint bdl-9 failed');
  });

  it('gives the same verdicts with and without the absent-element shortcut', () => {
    const withShortcut = new InvariantChecker(R5, model);
    const everyInvariant = new InvariantChecker(R5, model);
    (everyInvariant as unknown as { forContext(c: string): Array<{ shortcuts: unknown[] }> }).forContext = ((original) =>
      function (this: unknown, context: string) {
        return original.call(this, context).map((invariant) => ({ ...invariant, shortcuts: [] }));
      })((everyInvariant as unknown as { forContext(c: string): Array<{ shortcuts: unknown[] }> }).forContext);
    const cases = [
      glucose,
      { ...glucose, dataAbsentReason: absent },
      { ...glucose, valueQuantity: undefined, dataAbsentReason: absent },
      { ...glucose, component: [{ code: glucose.code, valueQuantity: glucose.valueQuantity }] },
      { ...glucose, valueQuantity: undefined, component: [{ code: glucose.code, valueQuantity: glucose.valueQuantity }] },
      { resourceType: 'Patient', id: 'p1', contact: [{ gender: 'female' }] },
      { resourceType: 'Patient', id: 'p1', contained: [{ resourceType: 'Patient', id: 'q' }] },
      { resourceType: 'Patient', id: 'p1', contained: [{ resourceType: 'Patient', id: 'q' }], link: [{ other: { reference: '#q' }, type: 'seealso' }] },
    ];
    for (const resource of cases) {
      const a: unknown[] = [];
      const b: unknown[] = [];
      withShortcut.check(JSON.parse(JSON.stringify(resource)), a as never);
      everyInvariant.check(JSON.parse(JSON.stringify(resource)), b as never);
      expect(a, JSON.stringify(resource)).toEqual(b);
    }
  });

  it('lists what it skips: external resolution, cross-version gaps and datatype invariants', () => {
    const reasons = new Map(model.skipped.map((s) => [`${s.key}@${s.context}`, s.reason]));
    expect(reasons.get('txt-1@Narrative.div')).toMatch(/htmlChecks/);
    expect(reasons.get('spd-1@SearchParameter')).toMatch(/R4/);
    expect(reasons.get('per-1@Period')).toMatch(/datatype/);
    expect([...reasons.values()].some((reason) => /resolve\(\)/.test(reason))).toBe(true);
    expect(Object.values(model.contexts).flat().some((i) => /\bresolve\(|conformsTo\(|memberOf\(/.test(i.expression))).toBe(false);
  });
});
