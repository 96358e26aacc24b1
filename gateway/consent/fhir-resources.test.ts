import { ZeroHash, id } from 'ethers';
import { describe, expect, it } from 'vitest';
import { validateR5 } from '../fhir-support.js';
import type { Hex } from '../ledger/ports.js';
import { compartmentOf } from '../store/search-index.js';
import { accessAuditEvent, erasureAuditEvent } from './audit-event.js';
import { consentResource, revokedConsent } from './consent-resource.js';

const node = { memberId: id('hospital-a') as Hex, orgId: 'hospital-a' };
const member = { memberId: id('hospital-b') as Hex, orgId: 'hospital-b' };

describe('the R5 resources the consent capability stores', () => {
  it('builds AuditEvents that validate, in the patient compartment, with break-glass flagged', () => {
    const event = accessAuditEvent({
      recorded: new Date('2025-01-02T03:04:05Z'),
      interaction: 'read',
      outcome: 'allowed',
      purpose: 'ETREAT',
      member,
      practitionerId: 'dr-carol',
      node,
      patient: 'Patient/p1',
      entities: ['Observation/o1/_history/2'],
      grantIds: [],
      breakGlass: { reason: 'unconscious', salt: id('salt') as Hex, reasonHash: id('hash') as Hex },
    });
    expect(validateR5({ ...event, id: 'a1' })).toEqual([]);
    expect(compartmentOf({ ...event, id: 'a1' })).toBe('Patient/p1');
    expect(JSON.stringify(event.authorization)).toContain('"BTG"');
    expect(event.action).toBe('R');

    const denied = accessAuditEvent({
      recorded: new Date(),
      interaction: 'search-type',
      outcome: 'denied',
      outcomeText: 'No consent',
      purpose: 'TREAT',
      member,
      practitionerId: 'dr-bob',
      node,
      entities: [],
      query: 'code=1234',
      grantIds: [],
    });
    expect(validateR5({ ...denied, id: 'a2' })).toEqual([]);
    expect((denied.outcome as { code: { code: string } }).code.code).toBe('4');
  });

  it('records an erasure naming only the pseudonymous address, the staff client and the reason, outside any patient compartment', () => {
    const event = erasureAuditEvent({
      recorded: new Date(),
      node,
      patientAddress: '0x00000000000000000000000000000000000000aa',
      actor: { clientId: 'ehr' },
      reason: 'patient request, signed form on file',
      revokedGrants: [id('g') as Hex],
    });
    expect(validateR5({ ...event, id: 'e1' })).toEqual([]);
    expect(compartmentOf({ ...event, id: 'e1' })).toBeUndefined();
    expect(JSON.stringify(event.entity)).toContain('patient request, signed form on file');
  });

  it('documents a grant as a Consent with one permit provision per category', () => {
    const consent = consentResource({
      patientId: 'p1',
      grantId: id('grant') as Hex,
      domain: { chainId: 1337, verifyingContract: '0x00000000000000000000000000000000000000c0' },
      message: {
        patient: '0x00000000000000000000000000000000000000aa',
        granteeMember: member.memberId,
        granteePractitioner: ZeroHash as Hex,
        actions: ['access'],
        categories: ['Observation:laboratory', 'Patient'],
        purposes: 1,
        notBefore: 1_700_000_000,
        notAfter: 1_800_000_000,
        nonce: 3n,
      },
      signature: '0x1234',
      grantee: { memberId: member.memberId, orgId: member.orgId, practitionerId: 'dr-bob' },
      custody: 'custodial',
      recorded: new Date(),
    });
    expect(validateR5({ ...consent, id: 'c1' })).toEqual([]);
    expect(compartmentOf({ ...consent, id: 'c1' })).toBe('Patient/p1');
    expect((consent.provision as unknown[]).length).toBe(2);
    expect(revokedConsent({ ...consent, meta: { versionId: '1' } })).toMatchObject({ status: 'inactive' });
  });
});
