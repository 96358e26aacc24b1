import { describe, expect, it } from 'vitest';
import { dayNumber } from './day-number.js';
import { diagnosisCodeElement } from './diagnosis-code.js';
import { FEATURE_SCHEMA, featureSchemaHash, featureSchemaId } from './feature-schema.js';
import { extractFeatures, type ConditionLike, type ObservationLike } from './features.js';
import { ATTRIBUTE_BITS, packAttributes } from './record-encoding.js';

const LOINC = 'http://loinc.org';
const SNOMED = 'http://snomed.info/sct';

function observation(code: string, value: number, unit: string, date: string, extra: Partial<ObservationLike> = {}): ObservationLike {
  return {
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ system: LOINC, code }] },
    effectiveDateTime: date,
    valueQuantity: { value, unit, code: unit },
    ...extra,
  };
}

function condition(code: string, onset: string, status = 'active', system = SNOMED): ConditionLike {
  return {
    resourceType: 'Condition',
    code: { coding: [{ system, code }] },
    clinicalStatus: { coding: [{ code: status }] },
    onsetDateTime: onset,
  };
}

describe('extractFeatures', () => {
  const features = extractFeatures(
    {
      patient: { resourceType: 'Patient', birthDate: '1961-04-02', gender: 'female' },
      conditions: [
        condition('44054006', '2010-05-01'),
        condition('38341003', '2015-01-01T08:00:00Z'),
        condition('195967001', '2001-01-01', 'resolved'),
        { ...condition('N18.3', '2020-02-02', 'active', 'http://hl7.org/fhir/sid/icd-10'), verificationStatus: { coding: [{ code: 'refuted' }] } },
      ],
      observations: [
        observation('4548-4', 6.1, '%', '2022-01-10'),
        observation('4548-4', 7.25, '%', '2023-03-15'),
        observation('4548-4', 9.9, '%', '2024-01-01', { status: 'entered-in-error' }),
        observation('62238-1', 58, 'mL/min/{1.73_m2}', '2023-02-01'),
        observation('18262-6', 3.1, 'mmol/L', '2023-02-01'),
        observation('39156-5', 31.27, 'kg/m2', '2023-01-01'),
        {
          resourceType: 'Observation',
          status: 'final',
          code: { coding: [{ system: LOINC, code: '85354-9' }] },
          effectiveDateTime: '2023-04-01T09:30:00+02:00',
          component: [
            { code: { coding: [{ system: LOINC, code: '8480-6' }] }, valueQuantity: { value: 142, code: 'mm[Hg]' } },
            { code: { coding: [{ system: LOINC, code: '8462-4' }] }, valueQuantity: { value: 91, code: 'mm[Hg]' } },
          ],
        },
      ],
    },
    42n,
  );

  it('takes birth day and administrative sex from Patient', () => {
    expect(features.birthDay).toBe(dayNumber('1961-04-02'));
    expect(features.sex).toBe(2);
  });

  it('keeps the latest usable value per lab, scaled, with its day', () => {
    expect(features.labs.hba1c).toEqual({ value: 725, day: dayNumber('2023-03-15') });
    expect(features.labs.egfr).toEqual({ value: 580, day: dayNumber('2023-02-01') });
    expect(features.labs.bmi).toEqual({ value: 3127, day: dayNumber('2023-01-01') });
    expect(features.labs.ldl).toEqual({ value: Math.round(3.1 * 38.67 * 10), day: dayNumber('2023-02-01') });
    expect(features.labs.systolicBP).toEqual({ value: 142, day: dayNumber('2023-04-01') });
  });

  it('keeps current, non-refuted diagnoses, most recent first', () => {
    expect(features.diagnoses).toEqual([diagnosisCodeElement(SNOMED, '38341003'), diagnosisCodeElement(SNOMED, '44054006')]);
  });

  it('packs into one word below 2^184', () => {
    expect(ATTRIBUTE_BITS).toBe(184);
    expect(packAttributes(features) < 1n << 184n).toBe(true);
  });
});

describe('feature schema identity', () => {
  it('hashes to a stable id that fits a field element', () => {
    expect(featureSchemaHash()).toMatch(/^[0-9a-f]{64}$/);
    expect(featureSchemaId()).toBe(BigInt(`0x${featureSchemaHash().slice(0, 62)}`));
    expect(featureSchemaHash({ ...FEATURE_SCHEMA, maxDiagnoses: 9 } as unknown as typeof FEATURE_SCHEMA)).not.toBe(featureSchemaHash());
  });
});
