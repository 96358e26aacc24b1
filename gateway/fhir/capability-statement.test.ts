import { describe, expect, it } from 'vitest';
import { buildTestApp, RESOURCE_TYPES } from '../../test/support/fhir-test-app.js';

describe('GET /fhir/metadata', () => {
  it('describes the R5 base from the configuration', async () => {
    const { app } = await buildTestApp();
    const res = await app.inject({ method: 'GET', url: '/fhir/metadata' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/fhir+json; fhirVersion=5.0; charset=utf-8');
    const statement = res.json();
    expect(statement).toMatchObject({ resourceType: 'CapabilityStatement', status: 'active', kind: 'instance', fhirVersion: '5.0.0', format: ['json', 'application/fhir+json'] });
    const rest = statement.rest[0];
    expect(rest.resource.map((r: { type: string }) => r.type)).toEqual(RESOURCE_TYPES);
    expect(rest.interaction.map((i: { code: string }) => i.code)).toEqual(['transaction', 'batch']);
    expect(rest.operation).toEqual([expect.objectContaining({ name: 'verify-anchor' })]);

    const patient = rest.resource.find((r: { type: string }) => r.type === 'Patient');
    expect(patient.interaction.map((i: { code: string }) => i.code)).toEqual(
      expect.arrayContaining(['read', 'vread', 'update', 'delete', 'history-instance', 'create', 'search-type']),
    );
    expect(patient).toMatchObject({ versioning: 'versioned-update', updateCreate: true, conditionalCreate: true });
    // Exactly what the parser takes and the index answers: the R5 definitions that compile for the type.
    expect(patient.searchParam.map((p: { name: string }) => p.name).sort()).toEqual(
      ['_id', '_lastUpdated', 'birthdate', 'family', 'gender', 'given', 'identifier', 'name'].sort(),
    );
    expect(patient.searchParam.find((p: { name: string }) => p.name === 'birthdate')).toMatchObject({
      type: 'date',
      definition: 'http://hl7.org/fhir/SearchParameter/individual-birthdate',
    });
    const observation = rest.resource.find((r: { type: string }) => r.type === 'Observation');
    expect(observation.searchParam.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['code', 'date', 'status', 'category', 'value-quantity', 'subject', 'patient', 'encounter']),
    );
    expect(observation.searchInclude).toEqual(expect.arrayContaining(['Observation:patient', 'Observation:subject']));
    expect(patient.operation).toEqual([expect.objectContaining({ name: 'receipt' })]);
    const provenance = rest.resource.find((r: { type: string }) => r.type === 'Provenance');
    expect(provenance.searchParam.map((p: { name: string }) => p.name)).toContain('target');
  });

  it('carries the SMART oauth-uris extension', async () => {
    const { app } = await buildTestApp({ smart: { token: 'https://node/auth/token', authorize: 'https://node/auth/authorize' } });
    const security = (await app.inject({ method: 'GET', url: '/fhir/metadata' })).json().rest[0].security;
    expect(security.service[0].coding[0].code).toBe('SMART-on-FHIR');
    expect(security.extension[0]).toEqual({
      url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
      extension: [
        { url: 'token', valueUri: 'https://node/auth/token' },
        { url: 'authorize', valueUri: 'https://node/auth/authorize' },
      ],
    });
  });

  it('lists $export at system, Patient and Group level when Bulk Data export is served', async () => {
    const { app } = await buildTestApp({ bulkExport: true, resourceTypes: [...RESOURCE_TYPES, 'Group'] });
    const rest = (await app.inject({ method: 'GET', url: '/fhir/metadata' })).json().rest[0];
    expect(rest.operation).toContainEqual(expect.objectContaining({ name: 'export', definition: 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export' }));
    const operations = (type: string) => rest.resource.find((r: { type: string }) => r.type === type).operation.map((o: { definition: string }) => o.definition);
    expect(operations('Patient')).toContain('http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export');
    expect(operations('Group')).toContain('http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export');
    expect(operations('Observation')).not.toContain('http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export');
  });

  it('lists configured search parameters', async () => {
    const { app } = await buildTestApp({
      search: { parameters: [{ code: 'status', type: 'token', documentation: 'Status', resourceTypes: ['Observation'] }] },
    });
    const rest = (await app.inject({ method: 'GET', url: '/fhir/metadata' })).json().rest[0];
    const observation = rest.resource.find((r: { type: string }) => r.type === 'Observation');
    expect(observation.searchParam).toEqual([{ name: 'status', type: 'token', documentation: 'Status' }]);
  });
});
