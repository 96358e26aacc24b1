import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SearchIndexer } from './search-index.js';
import type { FhirResource } from './service.js';

const require = createRequire(import.meta.url);

// What the index writer thread is sent (index-writer.ts): the resource cut to the elements the
// search parameters read. It must give exactly the rows of the whole resource.
describe('SearchIndexer.indexedPart', () => {
  const indexer = new SearchIndexer(Buffer.alloc(32, 3));

  it('gives the same index rows as the whole resource, for every resource of the R5 core package', () => {
    const dir = dirname(require.resolve('hl7.fhir.r5.core/package.json'));
    let checked = 0;
    const differ: string[] = [];
    for (const file of readdirSync(dir)) {
      if (!file.endsWith('.json') || file === 'package.json' || file.startsWith('.')) continue;
      const resource = JSON.parse(readFileSync(join(dir, file), 'utf8')) as FhirResource;
      if (typeof resource.resourceType !== 'string') continue;
      checked++;
      const whole = indexer.entries(resource);
      if (JSON.stringify(indexer.entries(indexer.indexedPart(resource))) !== JSON.stringify(whole)) differ.push(file);
    }
    expect(checked).toBeGreaterThan(2900);
    expect(differ).toEqual([]);
  });

  it('leaves out what no parameter reads: the narrative, notes, contained resources', () => {
    const observation = {
      resourceType: 'Observation',
      id: 'o1',
      text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">long</div>' },
      contained: [{ resourceType: 'Patient', id: 'x' }],
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
      subject: { reference: 'Patient/p1' },
      effectiveDateTime: '2026-01-02',
      valueQuantity: { value: 72, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
      note: [{ text: 'n'.repeat(10_000) }],
    } as FhirResource;
    const part = indexer.indexedPart(observation) as Record<string, unknown>;
    expect(Object.keys(part).sort()).toEqual(['code', 'effectiveDateTime', 'id', 'resourceType', 'status', 'subject', 'valueQuantity']);
    expect(indexer.entries(part as FhirResource)).toEqual(indexer.entries(observation));
  });
});
