// Consent gates check-in and every join: the patient must hold an active, unrevoked grant in
// ConsentRegistry to the host member for treatment (TREAT). The grants are read from the chain
// into a GrantCache (gateway/consent/grant-cache.ts, kept current by GrantSync from the
// registry's events), so the check itself costs no RPC and no participant waits for a block.
// A grant naming one practitioner of the host covers only that practitioner's consults.

import type { GrantCache } from '../consent/grant-cache.js';
import { PurposeOfUse } from '../consent/purpose-of-use.js';
import type { ConsentGrantRecord, Hex } from '../ledger/ports.js';

const ZERO32 = `0x${'0'.repeat(64)}` as Hex;

export type ConsentRefusal = 'no-grant' | 'revoked' | 'expired' | 'not-yet-valid' | 'other-member' | 'not-treatment' | 'other-patient' | 'other-practitioner';

export type ConsentCheck = { ok: true; grant: ConsentGrantRecord } | { ok: false; refusal: ConsentRefusal; detail: string };

export class ConsentGate {
  constructor(
    private readonly grants: Pick<GrantCache, 'get' | 'grantsFor'>,
    /** The host: this node's member id. */
    private readonly hostMember: Hex,
    /** Milliseconds since the epoch. */
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The grant a session can rely on: the patient's active TREAT grant to this member (for any of
   * its practitioners or for `practitionerHash`), the one valid longest; otherwise why none is.
   */
  findGrant(patient: Hex, practitionerHash: Hex): ConsentCheck {
    const candidates = this.grants.grantsFor(patient.toLowerCase() as Hex);
    if (candidates.length === 0) {
      return refuse('no-grant', 'The patient has no consent on the ledger for this hospital; the patient grants it (TREAT) at their home hospital first');
    }
    const checks = candidates.map((grant) => this.judge(grant, patient, practitionerHash));
    const passed = checks.filter((check): check is { ok: true; grant: ConsentGrantRecord } => check.ok);
    if (passed.length > 0) return passed.reduce((best, check) => (check.grant.notAfter > best.grant.notAfter ? check : best));
    // The most telling refusal: one about this member's grants before one about another member's.
    const order: ConsentRefusal[] = ['revoked', 'expired', 'not-yet-valid', 'not-treatment', 'other-practitioner', 'other-member', 'other-patient', 'no-grant'];
    return checks.sort((a, b) => order.indexOf((a as { refusal: ConsentRefusal }).refusal) - order.indexOf((b as { refusal: ConsentRefusal }).refusal))[0]!;
  }

  /** Whether the grant a session relies on still holds now (every join and the revocation watch). */
  check(grantId: Hex, patient: Hex, practitionerHash: Hex): ConsentCheck {
    const grant = this.grants.get(grantId);
    if (!grant) return refuse('no-grant', `Consent grant ${grantId} is not on the ledger`);
    return this.judge(grant, patient, practitionerHash);
  }

  private judge(grant: ConsentGrantRecord, patient: Hex, practitionerHash: Hex): ConsentCheck {
    const nowSeconds = Math.floor(this.now() / 1000);
    if (grant.patient.toLowerCase() !== patient.toLowerCase()) return refuse('other-patient', 'The consent grant is another patient\'s');
    if (grant.granteeMember.toLowerCase() !== this.hostMember.toLowerCase()) {
      return refuse('other-member', 'The patient\'s consent names another hospital, not this one; the patient grants this hospital TREAT access');
    }
    if (grant.granteePractitioner !== ZERO32 && grant.granteePractitioner.toLowerCase() !== practitionerHash.toLowerCase()) {
      return refuse('other-practitioner', 'The patient\'s consent names another practitioner of this hospital');
    }
    if ((grant.purposes & PurposeOfUse.TREAT) === 0) return refuse('not-treatment', 'The patient\'s consent does not cover treatment (TREAT)');
    if (grant.revokedAt !== null) return refuse('revoked', 'The patient revoked their consent');
    if (nowSeconds < grant.notBefore) return refuse('not-yet-valid', 'The patient\'s consent is not valid yet');
    if (nowSeconds >= grant.notAfter) return refuse('expired', 'The patient\'s consent has expired; the patient renews it at their home hospital');
    return { ok: true, grant };
  }
}

function refuse(refusal: ConsentRefusal, detail: string): ConsentCheck {
  return { ok: false, refusal, detail };
}
