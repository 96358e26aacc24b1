import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { validateR4 } from '../validation/r4-validator.mjs';
import { validateR4Structure } from '../validation/r4-structure-validator.js';
import { validateR5 } from '../validation/r5-validator.js';
import { convertR4toR5 } from './convert-r4-to-r5.js';
import { R4_TO_R5_RULES } from './rule-table.js';

const DATA = fileURLToPath(new URL('../../../shared/data/synthea-10/', import.meta.url));
const present = existsSync(DATA);
if (!present) console.warn(`skipping synthea conversion tests: ${DATA} is absent`);

type R4 = Record<string, unknown> & { resourceType: string };

function load(): R4[] {
  return readdirSync(DATA)
    .filter((f) => /^[A-Z]\w+\.\d+\.ndjson$/.test(f))
    .flatMap((f) => readFileSync(DATA + f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as R4));
}

/** Every leaf value (string, number, boolean) as a string, in a multiset. */
function leaves(value: unknown, into = new Map<string, number>()): Map<string, number> {
  if (Array.isArray(value)) for (const v of value) leaves(v, into);
  else if (value !== null && typeof value === 'object') for (const v of Object.values(value)) leaves(v, into);
  else if (value !== null && value !== undefined) into.set(String(value), (into.get(String(value)) ?? 0) + 1);
  return into;
}

/** R4 codes a documented 1:1 translation replaces (the R5 code then stands for them). */
const translatedCodes = new Set(
  Object.values(R4_TO_R5_RULES).flatMap((t) =>
    Object.values(t.elements ?? {}).flatMap((rule) => Object.entries(rule.codes ?? {}).filter(([k, v]) => k !== v).map(([k]) => k)),
  ),
);

function perSecond(n: number, fn: () => void): number {
  const t0 = performance.now();
  fn();
  return Math.round((n * 1000) / (performance.now() - t0));
}

describe.skipIf(!present)('synthea-10 R4 -> R5', () => {
  const resources = present ? load() : [];

  it('reads all 7,160 resources', () => {
    expect(resources.length).toBe(7160);
  });

  it('every resource passes the compiled R4 structure check; medplum agrees on 40 of each type', () => {
    const seen = new Map<string, number>();
    for (const r of resources) {
      expect(validateR4Structure(r), `${r.resourceType}/${r.id}`).toEqual([]);
      const n = (seen.get(r.resourceType) ?? 0) + 1;
      seen.set(r.resourceType, n);
      // medplum costs ~0.3 ms per resource: a per-type sample keeps this file fast.
      if (n <= 40) expect(validateR4(r).filter((i) => i.severity === 'error'), `${r.resourceType}/${r.id}`).toEqual([]);
    }
  });

  it('every resource converts and passes validateR5 with zero errors', () => {
    for (const r of resources) {
      const { resource, issues } = convertR4toR5(r);
      expect(issues.filter((i) => i.severity === 'error'), `${r.resourceType}/${r.id}`).toEqual([]);
      expect(validateR5(resource), `${r.resourceType}/${r.id}`).toEqual([]);
    }
  });

  it('keeps every R4 leaf value (renamed, reshaped or carried), except documented code translations', () => {
    for (const r of resources) {
      const after = leaves(convertR4toR5(r).resource);
      for (const [value, count] of leaves(r)) {
        if (value === r.resourceType || translatedCodes.has(value)) continue;
        expect(after.get(value) ?? 0, `${r.resourceType}/${r.id}: value ${value.slice(0, 40)}`).toBeGreaterThanOrEqual(count);
      }
    }
  });

  it('reports throughput', () => {
    const big = resources.filter((r, i) => i % 10 === 0 && ['Patient', 'Encounter', 'Condition', 'DocumentReference'].includes(r.resourceType));
    const converted = resources.map((r) => convertR4toR5(r).resource);
    const sample = resources.filter((_, i) => i % 20 === 0);
    const rates = {
      validateR5: perSecond(converted.length, () => converted.forEach((r) => validateR5(r))),
      validateR4Structure: perSecond(resources.length, () => resources.forEach((r) => validateR4Structure(r))),
      validateR4_medplum: perSecond(sample.length, () => sample.forEach((r) => validateR4(r))),
      validateR4_medplum_big4: perSecond(big.length, () => big.forEach((r) => validateR4(r))),
      convertR4toR5: perSecond(resources.length, () => resources.forEach((r) => convertR4toR5(r))),
    };
    console.info(`synthea-10 throughput (resources/s, one core): ${JSON.stringify(rates)}`);
    expect(rates.validateR5).toBeGreaterThan(0);
  });
});
