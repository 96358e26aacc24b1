// The claim-line fingerprint: a keyed hash of one normalised service (who was covered, on which
// day, for what, by whom), so that the same service billed twice, by one hospital or by two, has
// the same 32 bytes while nobody without the consortium's claims key can read or test anything.
// Pure: the node's registrar and the payer's verifier call it with their own reference resolver.
// docs/claims.md describes the normalisation precisely enough to reimplement it.
import { createHmac } from 'node:crypto';
import type { Hex } from '../ledger/ports.js';
import type { FhirResource } from '../store/service.js';
import { billingPractitionerRef, claimLines, dateOfService, focalCoverageRef, referenceOf, type ClaimLine } from './claim-lines.js';

/** Domain separation and version: the first element of every fingerprinted tuple. */
export const FINGERPRINT_FORMAT = 'careledger-claim-line/1';
export const NPI_SYSTEM = 'http://hl7.org/fhir/sid/us-npi';
/** A practitioner's key (EVM address) as an identifier, when it has no NPI. */
export const PRACTITIONER_KEY_SYSTEM = 'urn:careledger:practitioner-key';
export const CLAIMS_KEY_BYTES = 32;

export type ReferenceResolver = (reference: string) => FhirResource | undefined;

/** The four normalised fields of a claim line, in the order they are hashed. */
export interface ClaimLineFields {
  subscriber: string;
  date: string;
  procedure: string;
  practitioner: string;
}

export type LineFingerprint =
  | { sequence: number; fingerprint: Hex; fields: ClaimLineFields }
  /** The line lacks one of the four fields: it cannot be fingerprinted, and says which. */
  | { sequence: number; fingerprint: null; missing: string };

/** Upper case, compatibility-normalised, letters and digits only: "ab-12 34" and "AB1234" agree. */
export function normaliseSubscriberId(value: string): string {
  return value.normalize('NFKC').toUpperCase().replace(/[^A-Z0-9]/g, '');
}

/** `system|CODE`, both trimmed, the code upper case and without inner whitespace. */
export function normaliseProcedure(system: string, code: string): string {
  return `${system.trim()}|${code.normalize('NFKC').replace(/\s+/g, '').toUpperCase()}`;
}

/** The subscriber id of a Coverage: R5 subscriberId (Identifier[]) or R4 (string), else its first identifier. */
export function subscriberIdOf(coverage: FhirResource): string | null {
  const candidates: unknown[] = [];
  const sub = coverage.subscriberId;
  if (typeof sub === 'string') candidates.push(sub);
  if (Array.isArray(sub)) for (const id of sub) candidates.push((id as { value?: unknown })?.value);
  if (Array.isArray(coverage.identifier)) for (const id of coverage.identifier) candidates.push((id as { value?: unknown })?.value);
  for (const candidate of candidates) {
    if (typeof candidate !== 'string') continue;
    const normalised = normaliseSubscriberId(candidate);
    if (normalised.length > 0) return normalised;
  }
  return null;
}

/**
 * The line's procedure: the smallest normalised `system|code` among productOrService's codings
 * (so coding order does not matter); null when no coding has both.
 */
export function procedureOf(line: ClaimLine): string | null {
  const codings = (line.productOrService as { coding?: Array<{ system?: unknown; code?: unknown }> } | undefined)?.coding ?? [];
  const codes = codings
    .filter((c) => typeof c?.system === 'string' && typeof c.code === 'string' && c.system.trim() && c.code.trim())
    .map((c) => normaliseProcedure(c.system as string, c.code as string))
    .sort();
  return codes[0] ?? null;
}

/** `npi|digits` from the NPI identifier, else `key|0x…` from the practitioner key identifier. */
export function practitionerIdOf(practitioner: FhirResource): string | null {
  const identifiers = Array.isArray(practitioner.identifier) ? (practitioner.identifier as Array<{ system?: unknown; value?: unknown }>) : [];
  const npi = identifiers.find((i) => i?.system === NPI_SYSTEM && typeof i.value === 'string' && /\d/.test(i.value));
  if (npi) return `npi|${(npi.value as string).replace(/\D/g, '')}`;
  const key = identifiers.find((i) => i?.system === PRACTITIONER_KEY_SYSTEM && typeof i.value === 'string' && /^0x[0-9a-fA-F]{40}$/.test(i.value));
  if (key) return `key|${(key.value as string).toLowerCase()}`;
  return null;
}

/** The Practitioner a careTeam reference names, through a PractitionerRole's `practitioner` when it names a role. */
export function practitionerBehind(reference: string, resolve: ReferenceResolver): FhirResource | undefined {
  const resource = resolve(reference);
  if (resource?.resourceType !== 'PractitionerRole') return resource;
  const behind = referenceOf(resource.practitioner);
  return behind ? resolve(behind) : undefined;
}

/** HMAC-SHA-256 under the claims key over the JSON array [format, subscriber, date, procedure, practitioner]. */
export function fingerprintOf(key: Buffer, fields: ClaimLineFields): Hex {
  if (key.length !== CLAIMS_KEY_BYTES) throw new Error(`the claims key must be ${CLAIMS_KEY_BYTES} bytes, got ${key.length}`);
  const message = JSON.stringify([FINGERPRINT_FORMAT, fields.subscriber, fields.date, fields.procedure, fields.practitioner]);
  return `0x${createHmac('sha256', key).update(message, 'utf8').digest('hex')}`;
}

/** The normalised fields of every line of `claim` (R5 form), resolving the Coverage and practitioners through `resolve`. */
export function claimLineFields(claim: FhirResource, resolve: ReferenceResolver): Array<{ sequence: number; fields: ClaimLineFields } | { sequence: number; missing: string }> {
  const coverageRef = focalCoverageRef(claim);
  const coverage = coverageRef ? resolve(coverageRef) : undefined;
  const subscriber = coverage ? subscriberIdOf(coverage) : null;
  return claimLines(claim).map((line) => {
    const date = dateOfService(line, claim);
    const procedure = procedureOf(line);
    const practitionerRef = billingPractitionerRef(claim, line);
    const practitioner = practitionerRef ? practitionerBehind(practitionerRef, resolve) : undefined;
    const practitionerId = practitioner ? practitionerIdOf(practitioner) : null;
    const missing = [
      subscriber ? null : 'subscriber id (Coverage.subscriberId or identifier)',
      date ? null : 'date of service',
      procedure ? null : 'procedure code (productOrService system and code)',
      practitionerId ? null : 'billing practitioner (NPI or practitioner key)',
    ].filter((m): m is string => m !== null);
    if (missing.length > 0) return { sequence: line.sequence, missing: missing.join(', ') };
    return { sequence: line.sequence, fields: { subscriber: subscriber!, date: date!, procedure: procedure!, practitioner: practitionerId! } };
  });
}

/** The fingerprint of every line of `claim`, or why a line has none. */
export function claimLineFingerprints(claim: FhirResource, resolve: ReferenceResolver, key: Buffer): LineFingerprint[] {
  return claimLineFields(claim, resolve).map((line) =>
    'fields' in line ? { sequence: line.sequence, fingerprint: fingerprintOf(key, line.fields), fields: line.fields } : { sequence: line.sequence, fingerprint: null, missing: line.missing },
  );
}

/** Domain separation of the claim tag: one claim of one member, the same for all its versions. */
export const CLAIM_TAG_FORMAT = 'careledger-claim-tag/1';

/** HMAC-SHA-256 under the claims key over [format, member id, claim id]: links a claim's registrations, nothing else. */
export function claimTagOf(key: Buffer, member: Hex, claimId: string): Hex {
  if (key.length !== CLAIMS_KEY_BYTES) throw new Error(`the claims key must be ${CLAIMS_KEY_BYTES} bytes, got ${key.length}`);
  const message = JSON.stringify([CLAIM_TAG_FORMAT, member.toLowerCase(), claimId]);
  return `0x${createHmac('sha256', key).update(message, 'utf8').digest('hex')}`;
}
