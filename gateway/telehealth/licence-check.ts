// Whether a practitioner holds a licence at an instant, decided from chain reads only: the
// credential's signature (when the practitioner presents one), the issuer's membership and
// LICENSING role in ConsortiumRegistry now, and LicenceRegistry's record (registered for this
// subject, not revoked, validFrom <= t < validUntil). The consult workflow calls `check` on every
// join and while connected; the payer's claim verifier calls `licenceValidOn` with a read-only
// reader and no key.

import { id } from 'ethers';
import { MemberRole, type Hex, type LicenceReader, type LicenceRecord, type MemberPort } from '../ledger/ports.js';
import { LicenceCredentialError, isoSeconds, verifyLicenceCredential, type LicenceDomain, type VerifiedLicenceCredential } from './licence-credential.js';

export type LicenceRefusal =
  /** LicenceRegistry holds no licence for the subject (or not this credential). */
  | 'no-licence'
  | 'revoked'
  | 'expired'
  | 'not-yet-valid'
  /** The issuer is not (or no longer) an active member with the LICENSING role. */
  | 'issuer-not-licensing'
  | 'bad-signature'
  | 'subject-mismatch'
  /** The registry's record disagrees with the credential (issuer or validity). */
  | 'record-mismatch'
  | 'malformed'
  /** Signed for another chain or registry than the consortium's pinned one. */
  | 'wrong-registry';

export interface LicencePass {
  ok: true;
  credentialHash: Hex;
  issuerMember: Hex;
  validFrom: number;
  validUntil: number;
}

export type LicenceVerdict = LicencePass | { ok: false; refusal: LicenceRefusal; detail: string };

/** Credentials verified (signature recovered) and remembered; a practitioner presents the same one at every join. */
const VERIFIED_CACHE_SIZE = 1024;

export class LicenceCheck {
  readonly domain: LicenceDomain;
  private readonly verified = new Map<string, VerifiedLicenceCredential>();

  constructor(
    private readonly licences: Pick<LicenceReader, 'contract' | 'getLicence' | 'licencesOf'>,
    private readonly members: Pick<MemberPort, 'getMemberById'>,
    chainId: number,
  ) {
    this.domain = { chainId, verifyingContract: licences.contract };
  }

  /**
   * May `subject` (the practitioner's key) act as a licensed practitioner at `at`? With a presented
   * credential, that credential must verify and be the registered one; without, any registered
   * licence of the subject will do. A revocation counts whenever it happened: a revoked licence
   * never lets anyone in again.
   */
  async check(subject: Hex, at: Date, credential?: unknown): Promise<LicenceVerdict> {
    if (!/^0x[0-9a-fA-F]{40}$/.test(subject)) throw new Error(`practitioner key "${subject}" is not an address (0x and 40 hex digits)`);
    const key = subject.toLowerCase() as Hex;
    const t = Math.floor(at.getTime() / 1000);
    return credential === undefined ? this.anyLicenceOf(key, t) : this.presented(key, t, credential);
  }

  private async presented(subject: Hex, t: number, credential: unknown): Promise<LicenceVerdict> {
    let verified;
    try {
      verified = this.verify(credential);
    } catch (error) {
      if (error instanceof LicenceCredentialError) return refuse(error.reason, error.message);
      throw error;
    }
    if (verified.terms.subject !== subject) {
      return refuse('subject-mismatch', `the credential is for ${verified.terms.subject}, not for the key ${subject} that presented it`);
    }
    // Member id = keccak256(org id): the issuer's member is read by id alongside the record, one
    // round trip, and the signer must be among its signers now.
    const issuerMember = id(verified.issuerOrgId).toLowerCase() as Hex;
    const [issuer, record] = await Promise.all([this.members.getMemberById(issuerMember), this.licences.getLicence(verified.credentialHash)]);
    if (!issuer || !issuer.active || (issuer.roles & MemberRole.LICENSING) === 0 || !issuer.signers.includes(verified.issuer)) {
      return refuse('issuer-not-licensing', `the credential's signer ${verified.issuer} is not a signer of ${verified.issuerOrgId} as an active LICENSING member`);
    }
    if (!record || record.subject !== subject) {
      return refuse('no-licence', `LicenceRegistry holds no credential ${verified.credentialHash} for ${subject}: its issuer must register it (careledger licence issue)`);
    }
    if (record.issuerMember !== issuerMember || record.validFrom !== verified.terms.validFrom || record.validUntil !== verified.terms.validUntil) {
      return refuse('record-mismatch', `LicenceRegistry records credential ${verified.credentialHash} with another issuer or validity than the credential states`);
    }
    return standing(record, t);
  }

  /**
   * Signature checks are pure (the credential and the pinned domain decide them), so a credential
   * seen before is not recovered again; what can change (registry, membership) is read every time.
   */
  private verify(credential: unknown): VerifiedLicenceCredential {
    let key: string;
    try {
      key = JSON.stringify(credential);
    } catch {
      throw new LicenceCredentialError('malformed', 'not a careledger licence credential: not JSON');
    }
    const known = this.verified.get(key);
    if (known) return known;
    const verified = verifyLicenceCredential(credential, this.domain);
    if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(key, verified);
    return verified;
  }

  private async anyLicenceOf(subject: Hex, t: number): Promise<LicenceVerdict> {
    const records = await this.licences.licencesOf(subject);
    if (records.length === 0) return refuse('no-licence', `LicenceRegistry holds no licence for ${subject}`);
    const licensing = new Map<Hex, Promise<boolean>>();
    const isLicensing = (member: Hex) => {
      let answer = licensing.get(member);
      if (!answer) {
        answer = this.members.getMemberById(member).then((m) => !!m && m.active && (m.roles & MemberRole.LICENSING) !== 0);
        licensing.set(member, answer);
      }
      return answer;
    };
    let last: LicenceVerdict | undefined;
    // The newest licence decides the refusal: it is the one the practitioner would be asked about.
    for (const record of [...records].reverse()) {
      const verdict = standing(record, t);
      const checked = verdict.ok && !(await isLicensing(record.issuerMember))
        ? refuse('issuer-not-licensing', `licence ${record.credentialHash} was issued by member ${record.issuerMember}, which is not an active LICENSING member now`)
        : verdict;
      if (checked.ok) return checked;
      last ??= checked;
    }
    return last!;
  }
}

/** The registry's verdict on one record at `t` (seconds). */
function standing(record: LicenceRecord, t: number): LicenceVerdict {
  if (record.revokedAt !== null) return refuse('revoked', `licence ${record.credentialHash} was revoked at ${isoSeconds(record.revokedAt)}`);
  if (t < record.validFrom) return refuse('not-yet-valid', `licence ${record.credentialHash} is valid from ${isoSeconds(record.validFrom)}`);
  if (t >= record.validUntil) return refuse('expired', `licence ${record.credentialHash} expired at ${isoSeconds(record.validUntil)}`);
  return { ok: true, credentialHash: record.credentialHash, issuerMember: record.issuerMember, validFrom: record.validFrom, validUntil: record.validUntil };
}

function refuse(refusal: LicenceRefusal, detail: string): LicenceVerdict {
  return { ok: false, refusal, detail };
}

/** A payer's answer about a practitioner on a date of service. */
export interface LicenceOnDate {
  /** Some registered licence held during the service time. */
  valid: boolean;
  /** That licence, or the last one issued when none held; null when the subject never had one. */
  licence: LicenceRecord | null;
  /** The licence held then but was revoked afterwards (the payer may want to look again). */
  revokedSince: boolean;
}

/**
 * Did `subject` hold a licence on the date of service? `when` is an instant, or a calendar date
 * (YYYY-MM-DD) taken as its whole UTC day, since a claim's service date rarely carries a time: then a
 * licence that held at any moment of that day and was not revoked before it began counts.
 * Registry reads only; the issuer's LICENSING role was checked by the contract at issue.
 */
export async function licenceValidOn(reader: Pick<LicenceReader, 'licencesOf'>, subject: Hex, when: Date | string): Promise<LicenceOnDate> {
  const [start, end] = period(when);
  const records = await reader.licencesOf(subject.toLowerCase() as Hex);
  const held = records.filter((r) => r.validFrom < end && r.validUntil > start && (r.revokedAt === null || r.revokedAt > start));
  // Prefer one that still stands over one revoked since.
  const licence = held.find((r) => r.revokedAt === null) ?? held[0];
  if (licence) return { valid: true, licence, revokedSince: licence.revokedAt !== null };
  return { valid: false, licence: records.at(-1) ?? null, revokedSince: false };
}

/** [start, end) in seconds: one instant, or a UTC day. */
function period(when: Date | string): [number, number] {
  if (when instanceof Date) {
    const t = Math.floor(when.getTime() / 1000);
    if (Number.isNaN(t)) throw new Error('the date of service is not a valid date');
    return [t, t + 1];
  }
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(when) ? Date.parse(`${when}T00:00:00Z`) : Number.NaN;
  // The round trip refuses dates that Date.parse would roll over (2026-02-30).
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== when) {
    throw new Error(`date of service "${when}" is not a calendar date YYYY-MM-DD: pass one, or an instant`);
  }
  return [ms / 1000, ms / 1000 + 86_400];
}
