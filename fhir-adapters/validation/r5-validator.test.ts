import { describe, expect, it } from 'vitest';
import { validateR5 } from './r5-validator.js';

const texts = (resource: unknown): string[] => validateR5(resource).map((i) => `${i.expression?.[0]}: ${i.details?.text}`);

const patient = {
  resourceType: 'Patient',
  id: 'p1',
  name: [{ family: 'Doe', given: ['Jane', 'Q'] }],
  birthDate: '1970-01-31',
  gender: 'female',
};

describe('validateR5', () => {
  it('accepts a valid resource', () => {
    expect(validateR5(patient)).toEqual([]);
  });

  it('rejects an unknown resourceType and non-objects', () => {
    expect(texts({ resourceType: 'Patiant' })).toEqual(['Patiant: Unknown resource type "Patiant" for FHIR 5.0.0']);
    expect(texts({ resourceType: 'DomainResource' })[0]).toMatch(/Unknown resource type/);
    expect(texts([])[0]).toMatch(/must be a JSON object/);
    // Removed in R5: MedicinalProduct existed in R4 only.
    expect(texts({ resourceType: 'MedicinalProduct' })[0]).toMatch(/Unknown resource type/);
  });

  it('rejects unknown elements, including R4 names that R5 renamed', () => {
    expect(texts({ ...patient, nickname: 'J' })).toEqual(["Patient.nickname: Unknown element 'nickname' in Patient"]);
    expect(texts({ resourceType: 'Encounter', status: 'completed', period: { start: '2020' } })).toEqual([
      "Encounter.period: Unknown element 'period' in Encounter",
    ]);
  });

  it('rejects wrong JSON types and repetition', () => {
    expect(texts({ ...patient, name: { family: 'Doe' } })[0]).toBe("Patient.name: Element 'name' repeats: expected a JSON array");
    expect(texts({ ...patient, gender: ['female'] })[0]).toMatch(/does not repeat/);
    expect(texts({ ...patient, active: 'true' })[0]).toBe('Patient.active: Expected a JSON boolean for boolean, found string');
    expect(texts({ ...patient, name: ['Doe'] })[0]).toBe('Patient.name[0]: Expected a JSON object for HumanName, found string');
    expect(texts({ ...patient, multipleBirthInteger: 2.5 })[0]).toMatch(/Invalid integer: 2.5/);
    expect(texts({ ...patient, name: [] })[0]).toMatch(/must not be empty/);
    expect(texts({ ...patient, name: [{}] })[0]).toMatch(/empty object/);
  });

  it('checks primitive formats with the R5 regexes', () => {
    expect(texts({ ...patient, birthDate: '1970-13-01' })).toEqual(['Patient.birthDate: Invalid date: "1970-13-01"']);
    expect(texts({ ...patient, id: 'bad id!' })[0]).toMatch(/Invalid id/);
    expect(texts({ ...patient, deceasedDateTime: '2020-01-01T25:00:00Z' })[0]).toMatch(/Invalid dateTime/);
    expect(texts({ resourceType: 'Observation', status: 'final', code: { text: 'x' }, issued: '2020-01-01' })[0]).toMatch(/Invalid instant/);
    expect(texts({ ...patient, photo: [{ data: 'not base64!' }] })[0]).toMatch(/Invalid base64Binary/);
    expect(texts({ ...patient, gender: 'fe male  x' })[0]).toMatch(/Invalid code/);
    expect(texts({ ...patient, name: [{ family: '' }] })[0]).toMatch(/Invalid string/);
    expect(texts({ ...patient, photo: [{ size: 12 }] })[0]).toBe('Patient.photo[0].size: Expected a JSON string for integer64, found number');
    expect(validateR5({ ...patient, photo: [{ size: '12' }] })).toEqual([]);
  });

  it('checks choice type names and exclusivity', () => {
    expect(texts({ ...patient, deceasedString: 'yes' })).toEqual(["Patient.deceasedString: Unknown element 'deceasedString' in Patient"]);
    expect(texts({ ...patient, deceasedBoolean: true, deceasedDateTime: '2020' })[0]).toMatch(/Only one of deceased\[x\]/);
  });

  it('reports missing required elements, also inside backbones and datatypes', () => {
    expect(texts({ resourceType: 'Observation', code: { text: 'x' } })).toEqual([
      "Observation.status: Missing required element 'status' in Observation",
    ]);
    expect(texts({ resourceType: 'Encounter', status: 'completed', reason: [{ use: [{ text: 'x' }] }] })).toEqual([]);
    expect(texts({ ...patient, extension: [{ valueString: 'x' }] })).toEqual([
      "Patient.extension[0].url: Missing required element 'url' in Extension",
    ]);
    expect(texts({ ...patient, link: [{ type: 'seealso' }] })).toEqual([
      "Patient.link[0].other: Missing required element 'other' in Patient.link",
    ]);
  });

  it('validates primitive extensions (_element) with their alignment', () => {
    const ext = { extension: [{ url: 'http://example.org/x', valueString: 'y' }] };
    expect(validateR5({ ...patient, _birthDate: ext })).toEqual([]);
    expect(validateR5({ ...patient, name: [{ given: ['A', null], _given: [null, ext] }] })).toEqual([]);
    expect(texts({ ...patient, _birthDate: 'x' })[0]).toMatch(/Expected a JSON object/);
    expect(texts({ ...patient, name: [{ given: ['A'], _given: [null, ext] }] })[0]).toMatch(/as many entries/);
    expect(texts({ ...patient, _birthDate: { extension: [{ url: 'u', valueDate: 'no' }] } })[0]).toMatch(/Invalid date/);
    expect(texts({ ...patient, _name: {} })[0]).toMatch(/Unknown element '_name'/);
    // An element absent but extended still satisfies a min of 1.
    expect(validateR5({ resourceType: 'Observation', _status: ext, code: { text: 'x' } })).toEqual([]);
  });

  it('validates contained resources, Bundle entries and modifierExtension', () => {
    const bad = { resourceType: 'Observation', status: 'final', code: { text: 'x' }, valueFoo: 1 };
    expect(texts({ ...patient, contained: [bad] })).toEqual(["Patient.contained[0].valueFoo: Unknown element 'valueFoo' in Observation"]);
    const bundle = { resourceType: 'Bundle', type: 'collection', entry: [{ resource: patient }, { resource: bad }] };
    expect(texts(bundle)).toEqual(["Bundle.entry[1].resource.valueFoo: Unknown element 'valueFoo' in Observation"]);
    expect(texts({ ...patient, modifierExtension: [{ url: 'u', valueBoolean: 'no' }] })[0]).toMatch(/Expected a JSON boolean/);
  });
});
