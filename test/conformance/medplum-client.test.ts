// Issue #15, acceptance: a FHIR client nobody on this project wrote (@medplum/core's MedplumClient)
// drives a real node over HTTP: create, update, history, search, searchOne and a transaction. The
// searches are the ones that returned the wrong patient before: name + birthdate, identifier
// system only, and a chained search.

import { MedplumClient } from '@medplum/core';
import type { Bundle, Observation, Patient } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNode, type TestNode } from '../support/test-node.js';

let node: TestNode;
let medplum: MedplumClient;
const MRN = 'urn:oid:1.2.36.146.595.217.0.1';

const patient = (family: string, given: string, birthDate: string, mrn: string): Patient => ({
  resourceType: 'Patient',
  identifier: [{ system: MRN, value: mrn }],
  name: [{ family, given: [given] }],
  gender: 'female',
  birthDate,
});

beforeAll(async () => {
  node = await startTestNode();
  medplum = new MedplumClient({ baseUrl: node.baseUrl, fhirUrlPath: 'fhir', fetch, cacheTime: 0 });
  medplum.setAccessToken(node.token);
}, 60_000);

afterAll(async () => {
  await node?.dispose();
});

describe('MedplumClient against the R5 base', () => {
  let jane1980: Patient;
  let jane1975: Patient;

  beforeAll(async () => {
    jane1980 = await medplum.createResource(patient('Smith', 'Jane', '1980-05-14', 'MRN-1980'));
    jane1975 = await medplum.createResource(patient('Smith', 'Jane', '1975-01-02', 'MRN-1975'));
    await medplum.createResource(patient('Smithson', 'Janet', '1980-05-14', 'MRN-OTHER'));
  });

  it('create answers the stored resource; update and history follow', async () => {
    expect(jane1980).toMatchObject({ resourceType: 'Patient', id: expect.any(String), meta: { versionId: '1' } });
    const updated = await medplum.updateResource({ ...jane1980, telecom: [{ system: 'phone', value: '555-0100' }] });
    expect(updated.meta?.versionId).toBe('2');
    const history = await medplum.readHistory('Patient', jane1980.id!);
    expect(history.entry?.map((entry) => entry.resource?.meta?.versionId)).toEqual(['2', '1']);
  });

  it('searchOne by name + birthdate returns the right patient, not the first one', async () => {
    const found = await medplum.searchOne('Patient', { name: 'jane', birthdate: '1975-01-02' });
    expect(found?.id).toBe(jane1975.id);
    // `Smith` is a prefix of Smithson (FHIR string search); :exact tells them apart.
    expect(await medplum.searchResources('Patient', { name: 'Smith', birthdate: '1980-05-14' })).toHaveLength(2);
    const exact = await medplum.searchOne('Patient', { 'family:exact': 'Smith', birthdate: '1980-05-14' });
    expect(exact?.id).toBe(jane1980.id);
    expect(await medplum.searchOne('Patient', { name: 'jane', birthdate: '1990-01-01' })).toBeUndefined();
  });

  it('identifier=system| matches every patient with an identifier in that system', async () => {
    const bundle = await medplum.search('Patient', { identifier: `${MRN}|`, _count: '10' });
    expect(bundle.total).toBe(3);
    expect(await medplum.searchResources('Patient', { identifier: 'urn:other|' })).toHaveLength(0);
  });

  it('If-None-Exist with identifier=system|value does not create a duplicate', async () => {
    const again = await medplum.createResourceIfNoneExist(patient('Smith', 'Jane', '1975-01-02', 'MRN-1975'), `identifier=${MRN}|MRN-1975`);
    expect(again.id).toBe(jane1975.id);
  });

  it('a transaction, then a chained search on patient.identifier', async () => {
    const transaction: Bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          fullUrl: 'urn:uuid:7f4c4e39-5fbb-4b5b-9f1c-2f0a4a2d1b01',
          request: { method: 'POST', url: 'Observation' },
          resource: {
            resourceType: 'Observation',
            status: 'final',
            code: { coding: [{ system: 'http://loinc.org', code: '29463-7' }] },
            subject: { reference: `Patient/${jane1975.id}` },
            effectiveDateTime: '2024-01-10T10:00:00Z',
            valueQuantity: { value: 61.5, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' },
          } as Observation,
        },
        {
          request: { method: 'POST', url: 'Observation' },
          resource: {
            resourceType: 'Observation',
            status: 'final',
            code: { coding: [{ system: 'http://loinc.org', code: '29463-7' }] },
            subject: { reference: `Patient/${jane1980.id}` },
            effectiveDateTime: '2024-02-10T10:00:00Z',
            valueQuantity: { value: 70, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' },
          } as Observation,
        },
      ],
    };
    const response = await medplum.executeBatch(transaction);
    expect(response.entry?.map((entry) => entry.response?.status)).toEqual(['201 Created', '201 Created']);

    const chained = await medplum.searchResources('Observation', { 'patient.identifier': `${MRN}|MRN-1975` });
    expect(chained.map((observation) => observation.subject?.reference)).toEqual([`Patient/${jane1975.id}`]);
    const heavy = await medplum.searchResources('Observation', { 'value-quantity': 'gt65|http://unitsofmeasure.org|kg', code: 'http://loinc.org|29463-7' });
    expect(heavy.map((observation) => observation.subject?.reference)).toEqual([`Patient/${jane1980.id}`]);
  });

  it('_include, _sort and _elements', async () => {
    const bundle = await medplum.search('Observation', { _include: 'Observation:patient', _sort: '-date', _elements: 'status' });
    const matches = bundle.entry?.filter((entry) => entry.search?.mode === 'match') ?? [];
    expect(matches.map((entry) => (entry.resource as Observation).subject)).toEqual([undefined, undefined]);
    expect(matches.map((entry) => entry.resource?.meta?.tag?.[0]?.code)).toEqual(['SUBSETTED', 'SUBSETTED']);
    const included = bundle.entry?.filter((entry) => entry.search?.mode === 'include').map((entry) => entry.resource?.id);
    expect(included?.sort()).toEqual([jane1975.id, jane1980.id].sort());
  });

  it('an unsupported parameter is refused, not dropped', async () => {
    await expect(medplum.search('Patient', { name: 'jane', 'address-city': 'Springfield' })).rejects.toThrow(/address-city/);
  });
});
