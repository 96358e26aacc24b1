import { describe, expect, it } from 'vitest';
import { GrantCache } from '../consent/grant-cache.js';
import { practitionerHash } from '../consent/typed-data.js';
import { memberIdOf } from '../crypto/digest.js';
import type { ConsentGrantRecord, Hex } from '../ledger/ports.js';
import { ConsentGate } from './consent-gate.js';

const HOST = memberIdOf('gate-host');
const OTHER = memberIdOf('gate-other');
const PATIENT = '0x4444444444444444444444444444444444444444' as Hex;
const NOW = 1_900_000_000_000;
const DR = practitionerHash(HOST, 'dr-host');
const ZERO = `0x${'0'.repeat(64)}` as Hex;

function cacheWith(...grants: Array<Partial<ConsentGrantRecord>>): { cache: GrantCache; ids: Hex[] } {
  const cache = new GrantCache();
  const ids = grants.map((overrides, i) => {
    const grant: ConsentGrantRecord = {
      grantId: `0x${(i + 1).toString(16).padStart(64, '0')}` as Hex,
      patient: PATIENT,
      granteeMember: HOST,
      granteePractitioner: ZERO,
      scopeHash: ZERO,
      purposes: 1,
      notBefore: NOW / 1000 - 10,
      notAfter: NOW / 1000 + 10,
      recordedBy: OTHER,
      revokedAt: null,
      ...overrides,
    };
    cache.apply([{ kind: 'granted', grant, txHash: grant.grantId, blockNumber: i, blockTime: NOW / 1000 }]);
    return grant.grantId;
  });
  return { cache, ids };
}

describe('the consent gate of a consult', () => {
  it('passes an active TREAT grant to the host, for any of its practitioners or the named one', () => {
    expect(new ConsentGate(cacheWith({}).cache, HOST, () => NOW).findGrant(PATIENT, DR)).toMatchObject({ ok: true });
    expect(new ConsentGate(cacheWith({ granteePractitioner: DR }).cache, HOST, () => NOW).findGrant(PATIENT, DR)).toMatchObject({ ok: true });
    expect(new ConsentGate(cacheWith({ purposes: 1 | 4 }).cache, HOST, () => NOW).findGrant(PATIENT, DR)).toMatchObject({ ok: true });
  });

  it('refuses no consent, a revoked, expired or not yet valid one, one for another member, practitioner or purpose', () => {
    const verdict = (grant: Partial<ConsentGrantRecord> | null) =>
      new ConsentGate(grant ? cacheWith(grant).cache : new GrantCache(), HOST, () => NOW).findGrant(PATIENT, DR);
    expect(verdict(null)).toMatchObject({ ok: false, refusal: 'no-grant' });
    expect(verdict({ revokedAt: NOW / 1000 - 1 })).toMatchObject({ ok: false, refusal: 'revoked' });
    expect(verdict({ notAfter: NOW / 1000 })).toMatchObject({ ok: false, refusal: 'expired' });
    expect(verdict({ notBefore: NOW / 1000 + 1 })).toMatchObject({ ok: false, refusal: 'not-yet-valid' });
    expect(verdict({ granteeMember: OTHER })).toMatchObject({ ok: false, refusal: 'other-member' });
    expect(verdict({ granteePractitioner: practitionerHash(HOST, 'dr-else') })).toMatchObject({ ok: false, refusal: 'other-practitioner' });
    expect(verdict({ purposes: 8 })).toMatchObject({ ok: false, refusal: 'not-treatment' });
  });

  it('picks the standing grant among refused ones, and names the most telling refusal when none stands', () => {
    const { cache, ids } = cacheWith({ granteeMember: OTHER }, { revokedAt: 1 }, { notAfter: NOW / 1000 + 500 });
    expect(new ConsentGate(cache, HOST, () => NOW).findGrant(PATIENT, DR)).toMatchObject({ ok: true, grant: { grantId: ids[2] } });
    const refused = cacheWith({ granteeMember: OTHER }, { revokedAt: 1 });
    expect(new ConsentGate(refused.cache, HOST, () => NOW).findGrant(PATIENT, DR)).toMatchObject({ ok: false, refusal: 'revoked' });
  });

  it('re-checks the grant a session relies on: revocation and expiry end it', () => {
    const { cache, ids } = cacheWith({});
    let now = NOW;
    const gate = new ConsentGate(cache, HOST, () => now);
    expect(gate.check(ids[0]!, PATIENT, DR)).toMatchObject({ ok: true });
    expect(gate.check(ids[0]!, '0x5555555555555555555555555555555555555555', DR)).toMatchObject({ ok: false, refusal: 'other-patient' });
    now = NOW + 10_000;
    expect(gate.check(ids[0]!, PATIENT, DR)).toMatchObject({ ok: false, refusal: 'expired' });
    now = NOW;
    cache.apply([{ kind: 'revoked', grantId: ids[0]!, patient: PATIENT, txHash: ids[0]!, blockNumber: 9, blockTime: NOW / 1000 }]);
    expect(gate.check(ids[0]!, PATIENT, DR)).toMatchObject({ ok: false, refusal: 'revoked' });
    expect(gate.check(`0x${'f'.repeat(64)}`, PATIENT, DR)).toMatchObject({ ok: false, refusal: 'no-grant' });
  });
});
