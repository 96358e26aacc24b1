import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { convertR4toR5 } from '../../fhir-adapters/conversion/index.js';
import type { FhirResource } from '../store/service.js';
import {
  CLAIM_TAG_FORMAT,
  FINGERPRINT_FORMAT,
  NPI_SYSTEM,
  claimLineFingerprints,
  claimTagOf,
  fingerprintOf,
  normaliseProcedure,
  normaliseSubscriberId,
  subscriberIdOf,
} from './claim-fingerprint.js';

const KEY = Buffer.alloc(32, 7);
const OTHER_KEY = Buffer.alloc(32, 8);

const coverage = (subscriberId: unknown): FhirResource => ({ resourceType: 'Coverage', id: 'cov', status: 'active', subscriberId, beneficiary: { reference: 'Patient/p' } });
const practitioner = (npi: string): FhirResource => ({ resourceType: 'Practitioner', id: 'dr', identifier: [{ system: NPI_SYSTEM, value: npi }] });

function claim(overrides: Record<string, unknown> = {}): FhirResource {
  return {
    resourceType: 'Claim',
    id: 'c1',
    patient: { reference: 'Patient/p' },
    billablePeriod: { start: '2024-03-01T09:00:00-05:00', end: '2024-03-01T10:00:00-05:00' },
    careTeam: [{ sequence: 1, provider: { reference: 'Practitioner/dr' }, role: { coding: [{ code: 'primary' }] } }],
    insurance: [{ sequence: 1, focal: true, coverage: { reference: 'Coverage/cov' } }],
    item: [
      { sequence: 1, careTeamSequence: [1], productOrService: { coding: [{ system: 'http://snomed.info/sct', code: '185349003' }] }, servicedDate: '2024-03-01' },
      { sequence: 2, productOrService: { coding: [{ system: 'http://www.ama-assn.org/go/cpt', code: ' 99213 ' }] } },
    ],
    ...overrides,
  };
}

function resolver(...resources: FhirResource[]) {
  return (reference: string) => resources.find((r) => reference.endsWith(`${r.resourceType}/${r.id}`));
}

describe('claim-line fingerprints', () => {
  it('is HMAC-SHA-256 under the claims key over the JSON array [format, subscriber, date, procedure, practitioner]', () => {
    const fields = { subscriber: 'AB1234', date: '2024-03-01', procedure: 'http://snomed.info/sct|185349003', practitioner: 'npi|1234567893' };
    const expected = createHmac('sha256', KEY)
      .update(`["careledger-claim-line/1","AB1234","2024-03-01","http://snomed.info/sct|185349003","npi|1234567893"]`)
      .digest('hex');
    expect(FINGERPRINT_FORMAT).toBe('careledger-claim-line/1');
    expect(fingerprintOf(KEY, fields)).toBe(`0x${expected}`);
    expect(fingerprintOf(OTHER_KEY, fields)).not.toBe(`0x${expected}`);
    expect(() => fingerprintOf(Buffer.alloc(16), fields)).toThrow(/32 bytes/);
  });

  it('normalises subscriber ids and procedure codes so that spelling variants agree', () => {
    expect(normaliseSubscriberId(' ab-12 34 ')).toBe('AB1234');
    expect(normaliseSubscriberId('ＡＢ１２３４')).toBe('AB1234');
    expect(normaliseProcedure(' http://www.ama-assn.org/go/cpt ', ' 99 213 ')).toBe('http://www.ama-assn.org/go/cpt|99213');
    expect(subscriberIdOf(coverage('ab-12 34'))).toBe('AB1234');
    expect(subscriberIdOf(coverage([{ value: '' }, { value: 'AB 1234' }]))).toBe('AB1234');
    expect(subscriberIdOf({ resourceType: 'Coverage', identifier: [{ value: 'm-9' }] })).toBe('M9');
    expect(subscriberIdOf({ resourceType: 'Coverage' })).toBeNull();
  });

  it('fingerprints each line from the focal Coverage, the date of service, the code and the billing practitioner', () => {
    const lines = claimLineFingerprints(claim(), resolver(coverage('ab-1234'), practitioner('123-456-7893')), KEY);
    expect(lines.map((l) => ('fields' in l ? l.fields : null))).toEqual([
      { subscriber: 'AB1234', date: '2024-03-01', procedure: 'http://snomed.info/sct|185349003', practitioner: 'npi|1234567893' },
      // Line 2 names no date and no care team member: the claim's billablePeriod day and its primary practitioner.
      { subscriber: 'AB1234', date: '2024-03-01', procedure: 'http://www.ama-assn.org/go/cpt|99213', practitioner: 'npi|1234567893' },
    ]);
  });

  it('gives the same service the same fingerprint whatever the hospital wrote around it', () => {
    const snomed = { system: 'http://snomed.info/sct', code: '185349003' };
    const cpt = { system: 'http://www.ama-assn.org/go/cpt', code: '99213' };
    const line = (coding: unknown[], when: Record<string, unknown>) => ({ sequence: 1, productOrService: { coding }, ...when });
    const fingerprint = (c: FhirResource, subscriber: string) => claimLineFingerprints(c, resolver(coverage(subscriber), practitioner('1234567893')), KEY)[0]!.fingerprint;
    const a = fingerprint(claim({ item: [line([snomed, cpt], { servicedDate: '2024-03-01' })] }), 'AB1234');
    const b = fingerprint(
      claim({ id: 'another-hospitals-claim', careTeam: [{ sequence: 4, provider: { reference: 'Practitioner/dr' } }], item: [line([cpt, snomed], { servicedPeriod: { start: '2024-03-01T14:00:00Z', end: '2024-03-01T15:00:00Z' } })] }),
      'ab 1234',
    );
    expect(a).not.toBeNull();
    expect(b).toBe(a);
    expect(fingerprint(claim({ item: [line([snomed, cpt], { servicedDate: '2024-03-02' })] }), 'AB1234')).not.toBe(a);
    expect(fingerprint(claim({ item: [line([snomed, cpt], { servicedDate: '2024-03-01' })] }), 'AB1235')).not.toBe(a);
  });

  it('reads an R4 Coverage and its R5 conversion alike', () => {
    const r4 = { resourceType: 'Coverage', id: 'cov', status: 'active', subscriberId: 'ab-1234', beneficiary: { reference: 'Patient/p' }, payor: [{ display: 'x' }] };
    const r5 = convertR4toR5(r4).resource as FhirResource;
    expect(subscriberIdOf(r4)).toBe('AB1234');
    expect(subscriberIdOf(r5)).toBe('AB1234');
  });

  it('follows a PractitionerRole to its Practitioner, and uses the practitioner key when there is no NPI', () => {
    const role: FhirResource = { resourceType: 'PractitionerRole', id: 'role', practitioner: { reference: 'Practitioner/dr' } };
    const withRole = claim({ careTeam: [{ sequence: 1, provider: { reference: 'PractitionerRole/role' } }] });
    const line = claimLineFingerprints(withRole, resolver(coverage('AB1234'), practitioner('1234567893'), role), KEY)[0]!;
    expect('fields' in line && line.fields.practitioner).toBe('npi|1234567893');
    const keyed: FhirResource = { resourceType: 'Practitioner', id: 'dr', identifier: [{ system: 'urn:careledger:practitioner-key', value: '0xAbCdEf0000000000000000000000000000000001' }] };
    const byKey = claimLineFingerprints(claim(), resolver(coverage('AB1234'), keyed), KEY)[0]!;
    expect('fields' in byKey && byKey.fields.practitioner).toBe('key|0xabcdef0000000000000000000000000000000001');
  });

  it('says which fields a line lacks instead of fingerprinting it', () => {
    const lines = claimLineFingerprints(claim({ billablePeriod: undefined, careTeam: [] }), resolver(), KEY);
    expect(lines[0]).toEqual({ sequence: 1, fingerprint: null, missing: 'subscriber id (Coverage.subscriberId or identifier), billing practitioner (NPI or practitioner key)' });
    expect(lines[1]).toMatchObject({ sequence: 2, fingerprint: null, missing: expect.stringContaining('date of service') });
  });

  it('tags a claim by member and id under the key, the same for every version', () => {
    const member = `0x${'ab'.repeat(32)}` as const;
    const expected = createHmac('sha256', KEY).update(JSON.stringify([CLAIM_TAG_FORMAT, member, 'c1'])).digest('hex');
    expect(claimTagOf(KEY, member, 'c1')).toBe(`0x${expected}`);
    expect(claimTagOf(KEY, member.toUpperCase().replace('0X', '0x') as `0x${string}`, 'c1')).toBe(`0x${expected}`);
    expect(claimTagOf(KEY, member, 'c2')).not.toBe(`0x${expected}`);
  });
});
