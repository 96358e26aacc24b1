// The synthetic claims generator: deterministic per seed, and every reference a case makes
// resolves inside the set, so the evidence of each claim is complete at the node.

import { describe, expect, it } from 'vitest';
import { claimResources, syntheticClaims } from '../support/synthetic-claims.js';

describe('syntheticClaims', () => {
  const options = { hospitalOrgId: 'h', payerOrgIds: ['p1', 'p2'], count: 12, seed: 3 };

  it('is deterministic for a seed and differs across seeds', () => {
    expect(syntheticClaims(options)).toEqual(syntheticClaims(options));
    expect(JSON.stringify(syntheticClaims({ ...options, seed: 4 }))).not.toEqual(JSON.stringify(syntheticClaims(options)));
  });

  it('writes institutional and professional claims billed to the payers in turn, each with its EOB', () => {
    const set = syntheticClaims(options);
    expect(set.cases.map((c) => c.payerOrgId)).toEqual(Array.from({ length: 12 }, (_, n) => options.payerOrgIds[n % 2]));
    const kinds = new Set(set.cases.map((c) => (c.claim.type as { coding: Array<{ code: string }> }).coding[0]!.code));
    expect(kinds).toEqual(new Set(['institutional', 'professional']));
    for (const c of set.cases) {
      expect((c.eob.claim as { reference: string }).reference).toBe(`Claim/${c.claim.id}`);
      expect((c.claim.item as Array<{ servicedDate: string }>).every((line) => line.servicedDate === c.serviceDate)).toBe(true);
    }
  });

  it('cites only resources of the set', () => {
    const resources = claimResources(syntheticClaims(options));
    const ids = new Set(resources.map((r) => `${r.resourceType}/${r.id}`));
    const cited = JSON.stringify(resources).match(/"reference":"[^"]+"/g)!.map((m) => m.slice(13, -1));
    expect(cited.filter((reference) => !ids.has(reference))).toEqual([]);
  });
});
