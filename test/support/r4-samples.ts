// Realistic small R4 resources for adapter tests (what an EHR holds: patients and their vitals).

import type { Observation, Patient } from '@medplum/fhirtypes';

export function r4Patient(id: string, family = 'Nguyen'): Patient {
  return {
    resourceType: 'Patient',
    id,
    identifier: [{ system: 'urn:oid:1.2.36.146.595.217.0.1', value: `MRN-${id}` }],
    name: [{ use: 'official', family, given: ['An'] }],
    gender: 'female',
    birthDate: '1984-03-12',
  };
}

export function r4Observation(id: string, patientId: string, value = 72): Observation {
  return {
    resourceType: 'Observation',
    id,
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
    code: { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }] },
    subject: { reference: `Patient/${patientId}` },
    effectiveDateTime: '2024-05-01T10:00:00Z',
    valueQuantity: { value, unit: 'beats/minute', system: 'http://unitsofmeasure.org', code: '/min' },
  };
}
