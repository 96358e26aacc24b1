// Synthetic R4 data the project generates itself, so tests and benchmarks run without
// ../shared/data. Deterministic for a given seed; every resource passes R4 validation.

export interface SyntheticResource {
  resourceType: string;
  id: string;
  [key: string]: unknown;
}

/** A xorshift32 stream in [0, 1): the same numbers for the same seed, so synthetic data is reproducible. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x100000000;
  };
}

const FAMILIES = ['Garcia', 'Smith', 'Nguyen', 'Okafor', 'Kowalski', 'Haddad', 'Silva', 'Tanaka'];
const GIVEN = ['Ana', 'Ben', 'Chen', 'Dara', 'Eli', 'Fatima', 'Goran', 'Hana'];
const LABS = [
  { code: '4548-4', display: 'Hemoglobin A1c', unit: '%', min: 4.5, max: 11 },
  { code: '8480-6', display: 'Systolic blood pressure', unit: 'mm[Hg]', min: 95, max: 185 },
  { code: '39156-5', display: 'Body mass index', unit: 'kg/m2', min: 17, max: 42 },
];

/**
 * `count` resources: each patient is followed by `perPatient` Observations and one Encounter.
 * Ids are `${prefix}-p<n>`, `${prefix}-o<n>-<k>`, `${prefix}-e<n>`.
 */
export function syntheticR4(count: number, options: { seed?: number; prefix?: string; perPatient?: number } = {}): SyntheticResource[] {
  const next = seededRandom(options.seed ?? 42);
  const prefix = options.prefix ?? 'syn';
  const perPatient = options.perPatient ?? 8;
  const out: SyntheticResource[] = [];
  for (let n = 0; out.length < count; n++) {
    const patientId = `${prefix}-p${n}`;
    const year = 1940 + Math.floor(next() * 60);
    out.push({
      resourceType: 'Patient',
      id: patientId,
      identifier: [{ system: 'urn:oid:2.16.840.1.113883.19.5', value: `MRN${100000 + n}` }],
      name: [{ family: FAMILIES[n % FAMILIES.length]!, given: [GIVEN[(n * 7) % GIVEN.length]!] }],
      gender: next() < 0.5 ? 'female' : 'male',
      birthDate: `${year}-0${1 + Math.floor(next() * 9)}-1${Math.floor(next() * 9)}`,
    });
    if (out.length >= count) break;
    out.push({
      resourceType: 'Encounter',
      id: `${prefix}-e${n}`,
      status: 'finished',
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
      subject: { reference: `Patient/${patientId}` },
      period: { start: '2024-03-01T09:00:00Z', end: '2024-03-01T09:30:00Z' },
    });
    for (let k = 0; k < perPatient && out.length < count; k++) {
      const lab = LABS[k % LABS.length]!;
      out.push({
        resourceType: 'Observation',
        id: `${prefix}-o${n}-${k}`,
        status: 'final',
        category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] }],
        code: { coding: [{ system: 'http://loinc.org', code: lab.code, display: lab.display }] },
        subject: { reference: `Patient/${patientId}` },
        encounter: { reference: `Encounter/${prefix}-e${n}` },
        effectiveDateTime: `2024-03-0${1 + (k % 9)}T10:00:00Z`,
        valueQuantity: {
          value: Math.round((lab.min + next() * (lab.max - lab.min)) * 10) / 10,
          unit: lab.unit,
          system: 'http://unitsofmeasure.org',
          code: lab.unit,
        },
      });
    }
  }
  return out;
}
