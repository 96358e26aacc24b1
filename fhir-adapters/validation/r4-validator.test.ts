import { describe, expect, it } from 'vitest';
import { validateR4Structure } from './r4-structure-validator.js';
import { validateR4 } from './r4-validator.mjs';

const errors = (issues: ReturnType<typeof validateR4>): string[] =>
  issues.filter((i) => i.severity === 'error').map((i) => `${i.expression?.[0]}: ${i.details?.text}`);

const patient = { resourceType: 'Patient', id: 'p1', name: [{ family: 'Doe' }], birthDate: '1970-01-31' };

describe('validateR4 (medplum)', () => {
  it('accepts a valid R4 resource', () => {
    expect(errors(validateR4(patient))).toEqual([]);
  });

  it('catches unknown elements, wrong types, bad formats, missing required, invariants', () => {
    expect(errors(validateR4({ ...patient, nickname: 'x' })).join()).toMatch(/nickname/);
    expect(errors(validateR4({ ...patient, active: 'yes' })).join()).toMatch(/Patient.active/);
    expect(errors(validateR4({ ...patient, birthDate: '1970-13-01' })).join()).toMatch(/birthDate/);
    expect(errors(validateR4({ resourceType: 'Observation', code: { text: 'x' } })).join()).toMatch(/Observation.status/);
    // obs-6: dataAbsentReason only when there is no value (a FHIRPath invariant).
    const obs6 = { resourceType: 'Observation', status: 'final', code: { text: 'x' }, valueString: 'v', dataAbsentReason: { text: 'n/a' } };
    expect(errors(validateR4(obs6)).join()).toMatch(/obs-6/);
  });

  it('turns an unknown resourceType into an issue instead of throwing', () => {
    expect(errors(validateR4({ resourceType: 'Patiant' })).length).toBeGreaterThan(0);
    expect(errors(validateR4('x')).length).toBe(1);
  });
});

describe('validateR4Structure (compiled R4 model)', () => {
  it('checks R4 structure with the R4 names', () => {
    expect(validateR4Structure({ resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, period: { start: '2020' } })).toEqual([]);
    expect(validateR4Structure({ ...patient, birthDate: '1970-13-01' })[0]?.details?.text).toMatch(/Invalid date/);
    expect(validateR4Structure({ resourceType: 'Encounter', class: { code: 'AMB' } })[0]?.details?.text).toMatch(/Missing required element 'status'/);
    expect(validateR4Structure({ ...patient, photo: [{ size: '12' }] })[0]?.details?.text).toMatch(/Expected a JSON number for unsignedInt/);
  });
});
