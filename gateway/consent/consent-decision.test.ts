import { ZeroHash, concat, id, keccak256, toUtf8Bytes } from 'ethers';
import { describe, expect, it } from 'vitest';
import type { ConsentGrantRecord, Hex } from '../ledger/ports.js';
import { type AccessQuestion, grantCovering, selectGrants } from './consent-decision.js';
import { type ConsentScope, canonicalScope, scopeCovers, scopeHash, stringArrayHash } from './consent-scope.js';
import { PurposeOfUse, purposeCodes, purposeMask } from './purpose-of-use.js';
import { practitionerHash } from './typed-data.js';

const B = id('hospital-b') as Hex;
const C = id('hospital-c') as Hex;
const NOW = 1_750_000_000;

function grant(overrides: Partial<ConsentGrantRecord> = {}): ConsentGrantRecord {
  return {
    grantId: id(`g${Math.random()}`) as Hex,
    patient: '0x00000000000000000000000000000000000000aa',
    granteeMember: B,
    granteePractitioner: ZeroHash as Hex,
    scopeHash: ZeroHash as Hex,
    purposes: PurposeOfUse.TREAT,
    notBefore: NOW - 100,
    notAfter: NOW + 100,
    recordedBy: B,
    revokedAt: null,
    ...overrides,
  };
}

const question: AccessQuestion = {
  member: B,
  practitionerHash: practitionerHash(B, 'dr-bob'),
  purpose: 'TREAT',
  action: 'access',
  resourceType: 'Observation',
  now: NOW,
};
const labs: ConsentScope = { actions: ['access'], categories: ['Observation:laboratory'] };
const lab = { resourceType: 'Observation', category: [{ coding: [{ code: 'laboratory' }] }] };
const vital = { resourceType: 'Observation', category: [{ coding: [{ code: 'vital-signs' }] }] };

function decide(grants: ConsentGrantRecord[], scope: ConsentScope = labs, q: Partial<AccessQuestion> = {}) {
  return selectGrants(grants, () => scope, { ...question, ...q });
}

describe('consent decision', () => {
  it('allows an active grant for the member, any practitioner, within its window and purpose', () => {
    const g = grant();
    const selection = decide([g]);
    expect(selection.ok).toBe(true);
    if (!selection.ok) return;
    expect(grantCovering(selection.grants, 'access', lab)?.grant.grantId).toBe(g.grantId);
    expect(grantCovering(selection.grants, 'access', vital)).toBeUndefined();
  });

  it('binds a practitioner-specific grant to that practitioner', () => {
    const g = grant({ granteePractitioner: practitionerHash(B, 'dr-bob') });
    expect(decide([g]).ok).toBe(true);
    expect(decide([g], labs, { practitionerHash: practitionerHash(B, 'dr-eve') })).toEqual({ ok: false, refusal: 'no-grant' });
    // The same practitioner id at another member is another person.
    expect(practitionerHash(C, 'dr-bob')).not.toBe(practitionerHash(B, 'dr-bob'));
  });

  it('gives the most specific refusal', () => {
    expect(decide([])).toEqual({ ok: false, refusal: 'no-grant' });
    expect(decide([grant({ granteeMember: C })])).toEqual({ ok: false, refusal: 'no-grant' });
    // A grant recorded at another hospital: its clear scope is unknown here, so it cannot be matched.
    expect(selectGrants([grant()], () => undefined, question)).toEqual({ ok: false, refusal: 'no-grant' });
    expect(decide([grant()], labs, { resourceType: 'Condition' })).toEqual({ ok: false, refusal: 'category' });
    expect(decide([grant({ revokedAt: NOW - 1 })])).toEqual({ ok: false, refusal: 'revoked' });
    expect(decide([grant({ notAfter: NOW })])).toEqual({ ok: false, refusal: 'not-in-window' });
    expect(decide([grant({ notBefore: NOW + 1 })])).toEqual({ ok: false, refusal: 'not-in-window' });
    expect(decide([grant()], labs, { purpose: 'HPAYMT' })).toEqual({ ok: false, refusal: 'purpose' });
    expect(decide([grant()], { actions: ['collect'], categories: ['Observation'] })).toEqual({ ok: false, refusal: 'category' });
  });

  it('judges the refusal among the grants naming the resource type', () => {
    const revokedLabs = grant({ revokedAt: NOW - 5 });
    const expiredConditions = grant({ notAfter: NOW - 1 });
    const scopes = new Map([
      [revokedLabs.grantId, labs],
      [expiredConditions.grantId, { actions: ['access'], categories: ['Condition'] }],
    ]);
    expect(selectGrants([revokedLabs, expiredConditions], (g) => scopes.get(g), question)).toEqual({ ok: false, refusal: 'revoked' });
  });
});

describe('consent scope', () => {
  it('canonicalizes: sorted, deduplicated, validated', () => {
    expect(canonicalScope({ actions: ['access', 'access'], categories: ['Patient', 'Observation:laboratory', 'Patient'] })).toEqual({
      actions: ['access'],
      categories: ['Observation:laboratory', 'Patient'],
    });
    expect(() => canonicalScope({ actions: ['steal'], categories: ['Patient'] })).toThrow(/Unknown consent action/);
    expect(() => canonicalScope({ actions: ['access'], categories: ['observation'] })).toThrow(/Invalid data category/);
    expect(() => canonicalScope({ actions: [], categories: ['Patient'] })).toThrow(/non-empty/);
  });

  it('hashes like EIP-712 string[] and covers by type and category code', () => {
    // keccak256(keccak256("a") ++ keccak256("b")), the EIP-712 encoding of ["a", "b"].
    expect(stringArrayHash(['a', 'b'])).toBe(keccak256(concat([keccak256(toUtf8Bytes('a')), keccak256(toUtf8Bytes('b'))])));
    expect(scopeHash(labs)).not.toBe(scopeHash({ ...labs, categories: ['Observation'] }));
    expect(scopeCovers({ actions: ['access'], categories: ['Observation'] }, 'access', vital)).toBe(true);
    expect(scopeCovers(labs, 'access', { resourceType: 'Observation' })).toBe(false);
    expect(scopeCovers(labs, 'access', { resourceType: 'Condition', category: [{ coding: [{ code: 'laboratory' }] }] })).toBe(false);
  });

  it('maps PurposeOfUse codes to bits and back', () => {
    expect(purposeMask(['TREAT', 'HRESCH'])).toBe(9);
    expect(purposeCodes(9)).toEqual(['TREAT', 'HRESCH']);
    expect(() => purposeMask(['MARKETING'])).toThrow(/Unknown purpose/);
    expect(() => purposeMask([])).toThrow(/At least one/);
  });
});
