import { describe, expect, it } from 'vitest';
import { grantScopes, intersectPermissions, parseGrantableScope, parseScope, splitScopeParameter } from './smart-scopes.js';

describe('parseScope', () => {
  it.each([
    ['system/Patient.rs', { context: 'system', resource: 'Patient', permissions: 'rs', version: 2 }],
    ['system/*.cruds', { context: 'system', resource: '*', permissions: 'cruds', version: 2 }],
    ['system/Observation.c', { context: 'system', resource: 'Observation', permissions: 'c', version: 2 }],
    ['system/*.read', { context: 'system', resource: '*', permissions: 'rs', version: 1 }],
    ['system/Patient.write', { context: 'system', resource: 'Patient', permissions: 'cud', version: 1 }],
    ['system/*.*', { context: 'system', resource: '*', permissions: 'cruds', version: 1 }],
    ['patient/Observation.rs', { context: 'patient', resource: 'Observation', permissions: 'rs', version: 2 }],
    ['user/*.read', { context: 'user', resource: '*', permissions: 'rs', version: 1 }],
    [
      'system/Observation.rs?category=laboratory',
      { context: 'system', resource: 'Observation', permissions: 'rs', version: 2, query: 'category=laboratory' },
    ],
  ])('parses %s', (raw, expected) => {
    expect(parseScope(raw)).toEqual({ raw, ...expected });
  });

  it.each([
    'system/Patient.sr', // v2 letters out of order
    'system/Patient.rr', // repeated letter
    'system/Patient.x',
    'system/Patient.',
    'system/patient.rs', // resource types start upper case
    'system/Patient.read?category=x', // v1 has no query syntax
    'admin/Patient.rs',
    'system/Patient',
    'launch',
    'openid',
    'offline_access',
    '',
  ])('rejects %s', (raw) => {
    expect(parseScope(raw)).toBeNull();
  });
});

describe('parseGrantableScope', () => {
  it('keeps system scopes without a query only', () => {
    expect(parseGrantableScope('system/Patient.rs')).not.toBeNull();
    expect(parseGrantableScope('patient/Patient.rs')).toBeNull();
    expect(parseGrantableScope('user/*.read')).toBeNull();
    expect(parseGrantableScope('system/Observation.rs?category=laboratory')).toBeNull();
  });
});

describe('intersectPermissions', () => {
  it.each([
    ['cruds', 'rs', 'rs'],
    ['rs', 'cud', ''],
    ['cr', 'rd', 'r'],
    ['cruds', 'cruds', 'cruds'],
  ])('%s ∩ %s = %s', (a, b, expected) => {
    expect(intersectPermissions(a, b)).toBe(expected);
  });
});

describe('grantScopes', () => {
  it.each<[string, string[], string[], string[]]>([
    ['exact v2 match', ['system/Patient.rs'], ['system/Patient.rs'], ['system/Patient.rs']],
    ['type under a wildcard', ['system/Patient.r'], ['system/*.rs'], ['system/Patient.r']],
    ['wildcard narrowed to the allowed type', ['system/*.cruds'], ['system/Patient.rs'], ['system/Patient.rs']],
    ['wildcard narrowed to each allowed type', ['system/*.rs'], ['system/Patient.rs', 'system/Observation.r'], ['system/Patient.rs', 'system/Observation.r']],
    ['permissions narrowed', ['system/Patient.cruds'], ['system/Patient.rs'], ['system/Patient.rs']],
    ['v1 granted in full keeps v1 spelling', ['system/Patient.read'], ['system/*.rs'], ['system/Patient.read']],
    ['v1 write narrowed becomes v2', ['system/*.write'], ['system/*.cu'], ['system/*.cu']],
    ['v1 allowed, v2 requested', ['system/Observation.rs'], ['system/*.read'], ['system/Observation.rs']],
    ['v1 * against v1 read', ['system/*.*'], ['system/*.read'], ['system/*.rs']],
    ['disjoint types', ['system/Encounter.rs'], ['system/Patient.rs'], []],
    ['disjoint permissions', ['system/Patient.cud'], ['system/Patient.rs'], []],
    ['patient context never granted', ['patient/*.read'], ['system/*.read'], []],
    ['granular query never granted', ['system/Observation.rs?category=laboratory'], ['system/*.cruds'], []],
    ['non-resource scopes dropped', ['launch', 'openid', 'system/Patient.s'], ['system/*.rs'], ['system/Patient.s']],
    ['duplicates collapse', ['system/Patient.rs', 'system/Patient.rs'], ['system/*.rs'], ['system/Patient.rs']],
    ['full grant wins over partial ones', ['system/Patient.rs'], ['system/Patient.r', 'system/*.rs'], ['system/Patient.rs']],
  ])('%s', (_name, requested, allowed, expected) => {
    expect(grantScopes(requested, allowed)).toEqual(expected);
  });
});

describe('splitScopeParameter', () => {
  it('splits on spaces, drops empties and duplicates', () => {
    expect(splitScopeParameter(' system/*.rs  system/*.rs launch ')).toEqual(['system/*.rs', 'launch']);
    expect(splitScopeParameter(undefined)).toEqual([]);
  });
});

describe('dedicated scopes', () => {
  const erase = 'system/Patient.$erase';

  it('are granted only when registered and requested by name', () => {
    expect(grantScopes([erase], [erase])).toEqual([erase]);
    expect(grantScopes([erase], ['system/*.cruds', 'system/*.*', 'system/Patient.cruds'])).toEqual([]);
    expect(grantScopes(['system/*.cruds'], [erase, 'system/*.cruds'])).toEqual(['system/*.cruds']);
    expect(grantScopes(['system/Patient.rs'], [erase])).toEqual([]);
  });

  it('carry no permission letters, so no resource interaction', () => {
    expect(parseGrantableScope(erase)).toMatchObject({ resource: 'Patient', permissions: '' });
    expect(parseScope('system/Patient.$delete-everything')).toBeNull();
  });
});
