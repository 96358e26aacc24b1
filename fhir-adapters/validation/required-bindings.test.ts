// Required bindings: codes outside the ValueSet the R5 core package enumerates are refused, on
// the R5 base directly and on the R4 base through conversion (the node validates every R4
// resource as R5 after converting it); nothing the package itself ships is refused.

import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertR4toR5 } from '../conversion/index.js';
import { validateR5 } from './r5-validator.js';
import { requiredCodesFrom } from './required-codes.js';

const require = createRequire(import.meta.url);
const codes = (resource: unknown) => validateR5(resource).filter((i) => i.code === 'code-invalid');

describe('required bindings (R5)', () => {
  it('refuses gender "robot" and Observation.status "bogus", naming the allowed codes', () => {
    expect(codes({ resourceType: 'Patient', gender: 'robot' })).toEqual([
      expect.objectContaining({ severity: 'error', expression: ['Patient.gender'], details: { text: expect.stringContaining('female, male, other, unknown') } }),
    ]);
    expect(codes({ resourceType: 'Observation', status: 'bogus', code: { text: 'x' } })[0].expression).toEqual(['Observation.status']);
  });

  it('accepts every code of the binding, nested CodeSystem concepts included (amended > corrected)', () => {
    for (const status of ['registered', 'preliminary', 'final', 'amended', 'corrected', 'cancelled', 'entered-in-error', 'unknown']) {
      expect(validateR5({ resourceType: 'Observation', status, code: { text: 'x' } })).toEqual([]);
    }
  });

  it('checks codes inside backbones and repeating code elements', () => {
    expect(codes({ resourceType: 'Patient', link: [{ other: { reference: 'Patient/x' }, type: 'merged' }] })[0].expression).toEqual(['Patient.link[0].type']);
    expect(codes({ resourceType: 'CapabilityStatement', status: 'active', date: '2024', kind: 'instance', fhirVersion: '5.0.0', format: ['json'], rest: [{ mode: 'server', resource: [{ type: 'Patient', interaction: [{ code: 'read' }, { code: 'teleport' }] }] }] })[0].expression).toEqual([
      'CapabilityStatement.rest[0].resource[0].interaction[1].code',
    ]);
  });

  it('refuses the same codes sent to the R4 base: the conversion reports them against the R4 binding', () => {
    const patient = convertR4toR5({ resourceType: 'Patient', gender: 'robot' });
    expect(patient.issues).toEqual([expect.objectContaining({ severity: 'error', code: 'code-invalid', expression: ['Patient.gender'] })]);
    const observation = convertR4toR5({ resourceType: 'Observation', status: 'bogus', code: { text: 'x' } });
    expect(observation.issues.filter((i) => i.severity === 'error')).toEqual([expect.objectContaining({ code: 'code-invalid', expression: ['Observation.status'] })]);
  });

  it('carries a valid R4 code that R5 dropped (Device.status unknown) instead of refusing it', () => {
    const { resource, issues } = convertR4toR5({ resourceType: 'Device', status: 'unknown' });
    expect(resource.status).toBeUndefined();
    expect(resource._status).toEqual({
      extension: [
        { url: 'http://hl7.org/fhir/StructureDefinition/data-absent-reason', valueCode: 'unsupported' },
        { url: 'http://hl7.org/fhir/4.0/StructureDefinition/extension-Device.status', valueCode: 'unknown' },
      ],
    });
    expect(issues.every((i) => i.severity !== 'error')).toBe(true);
    expect(validateR5(resource)).toEqual([]);
  });

  it('leaves a binding open when its ValueSet cannot be enumerated (filters, external systems)', () => {
    const resolve = requiredCodesFrom(
      [
        { url: 'urn:vs:listed', compose: { include: [{ system: 'urn:cs', concept: [{ code: 'a' }] }] } },
        { url: 'urn:vs:filtered', compose: { include: [{ system: 'urn:cs', filter: [{}] }] } },
        { url: 'urn:vs:external', compose: { include: [{ system: 'urn:ietf:bcp:47' }] } },
        { url: 'urn:vs:fragment', compose: { include: [{ system: 'urn:cs:fragment' }] } },
        { url: 'urn:vs:nested', compose: { include: [{ system: 'urn:cs:complete' }, { valueSet: ['urn:vs:listed|1.0'] }] } },
      ],
      [
        { url: 'urn:cs:complete', content: 'complete', concept: [{ code: 'x', concept: [{ code: 'y' }] }] },
        { url: 'urn:cs:fragment', content: 'fragment', concept: [{ code: 'z' }] },
      ],
    );
    expect(resolve('urn:vs:listed|5.0.0')).toEqual(['a']);
    expect(resolve('urn:vs:filtered')).toBeUndefined();
    expect(resolve('urn:vs:external')).toBeUndefined();
    expect(resolve('urn:vs:fragment')).toBeUndefined();
    expect(resolve('urn:vs:nested')).toEqual(['a', 'x', 'y']);
  });
});

describe('the R5 core package validates against the node', () => {
  const dir = dirname(require.resolve('hl7.fhir.r5.core/package.json'));
  // The package's own ImplementationGuide-fhir.json is a stub without the name and status R5
  // requires of every ImplementationGuide: it is not a valid resource.
  const NOT_VALID_IN_THE_PACKAGE = new Set(['ImplementationGuide-fhir.json']);

  it('refuses none of its resources (examples, StructureDefinitions with ids like Extension.value[x], ValueSets, CodeSystems)', () => {
    const refused: string[] = [];
    let checked = 0;
    for (const file of readdirSync(dir)) {
      if (!file.endsWith('.json') || file === 'package.json' || file.startsWith('.') || NOT_VALID_IN_THE_PACKAGE.has(file)) continue;
      const resource = JSON.parse(readFileSync(join(dir, file), 'utf8'));
      if (typeof resource.resourceType !== 'string') continue;
      checked++;
      const errors = validateR5(resource).filter((i) => i.severity === 'error');
      if (errors.length > 0) refused.push(`${file}: ${errors[0].details?.text}`);
    }
    expect(checked).toBeGreaterThan(2900);
    expect(refused).toEqual([]);
  });
});
