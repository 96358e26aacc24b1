import { describe, expect, it } from 'vitest';
import { isPermitted, parseGrantedScopes, requiredPermissions, type AccessOptions, type FhirInteraction } from './access-decision.js';

type Row = [scopes: string, type: string | undefined, interaction: FhirInteraction, allowed: boolean, options?: AccessOptions];

function permitted([scopes, type, interaction, , options]: Row): boolean {
  return isPermitted(parseGrantedScopes(scopes.split(' ')), type, requiredPermissions(interaction, type, options));
}

describe('SMART v2 scopes', () => {
  it.each<Row>([
    ['system/Patient.rs', 'Patient', 'read', true],
    ['system/Patient.rs', 'Patient', 'vread', true],
    ['system/Patient.rs', 'Patient', 'history', true],
    ['system/Patient.rs', 'Patient', 'search', true],
    ['system/Patient.rs', 'Patient', 'create', false],
    ['system/Patient.rs', 'Patient', 'update', false],
    ['system/Patient.rs', 'Patient', 'delete', false],
    ['system/Patient.rs', 'Observation', 'read', false],
    ['system/Patient.r', 'Patient', 'search', false],
    ['system/Patient.s', 'Patient', 'read', false],
    ['system/Patient.r', 'Patient', 'history', true, { level: 'instance' }],
    ['system/Patient.r', 'Patient', 'history', false, { level: 'type' }],
    ['system/Patient.s', 'Patient', 'history', true, { level: 'type' }],
    ['system/Patient.c', 'Patient', 'create', true],
    ['system/Patient.u', 'Patient', 'update', true],
    ['system/Patient.d', 'Patient', 'delete', true],
    ['system/*.cruds', 'Encounter', 'create', true],
    ['system/*.cruds', 'Encounter', 'delete', true],
    ['system/*.rs', 'Claim', 'read', true],
    ['system/*.rs', 'Claim', 'update', false],
    ['system/*.rs', undefined, 'search', true],
    ['system/*.s', undefined, 'history', true],
    ['system/Patient.rs', undefined, 'search', false],
    ['system/*.r', undefined, 'history', false],
    ['system/Observation.rs?category=laboratory', 'Observation', 'read', false],
    ['patient/Patient.rs', 'Patient', 'read', false],
    ['user/*.cruds', 'Patient', 'read', false],
  ])('%s on %s %s -> %s', (...row) => {
    expect(permitted(row)).toBe(row[3]);
  });
});

describe('SMART v1 scopes', () => {
  it.each<Row>([
    ['system/*.read', 'Patient', 'read', true],
    ['system/*.read', 'Patient', 'vread', true],
    ['system/*.read', 'Patient', 'search', true],
    ['system/*.read', 'Patient', 'history', true],
    ['system/*.read', 'Patient', 'history', true, { level: 'type' }],
    ['system/*.read', 'Patient', 'create', false],
    ['system/Patient.write', 'Patient', 'create', true],
    ['system/Patient.write', 'Patient', 'update', true],
    ['system/Patient.write', 'Patient', 'delete', true],
    ['system/Patient.write', 'Patient', 'read', false],
    ['system/Patient.write', 'Observation', 'create', false],
    ['system/*.*', 'Observation', 'delete', true],
    ['system/*.*', 'Observation', 'search', true],
    ['system/Patient.*', 'Patient', 'read', true],
    ['system/Patient.*', 'Observation', 'read', false],
  ])('%s on %s %s -> %s', (...row) => {
    expect(permitted(row)).toBe(row[3]);
  });
});

describe('operations', () => {
  it.each<Row>([
    ['system/*.rs', 'Patient', 'operation', false],
    ['system/*.cruds', 'Patient', 'operation', true],
    ['system/*.rs', 'Patient', 'operation', true, { permissions: 'r' }],
    ['system/Patient.r system/Patient.d', 'Patient', 'operation', true, { permissions: 'rd' }],
    ['system/Patient.r', 'Patient', 'operation', false, { permissions: 'rd' }],
    ['system/*.*', 'Patient', 'operation', true, { permissions: '' }],
    ['system/*.rs', 'Patient', 'operation', false, { permissions: '' }],
  ])('%s on %s %s -> %s (%o)', (...row) => {
    expect(permitted(row)).toBe(row[3]);
  });
});

describe('mixed v1 and v2 grants', () => {
  it('unions letters across scopes for the same type', () => {
    expect(permitted(['system/Patient.read system/Patient.c', 'Patient', 'create', true])).toBe(true);
    expect(permitted(['system/Patient.read system/*.c', 'Patient', 'create', true])).toBe(true);
  });
});
