// A practitioner licence as a W3C Verifiable Credential (Data Model 2.0), signed by a LICENSING
// member with EIP-712 (EthereumEip712Signature2021). The credential's hash, the one
// LicenceRegistry records, is the EIP-712 digest of the fields below in the domain of one registry
// deployment, so a credential counts on exactly one chain and registry. Verification recomputes the
// message from the credential's own fields and compares the embedded `eip712` block with the
// definitions here: a credential cannot bring its own types or domain.
// The licence number never appears in clear: only SHA-256(salt || normalised number), the salt
// going to the practitioner (licence numbers are short and often public, so an unsalted hash would
// name the practitioner's number to anyone holding the credential).

import { randomBytes, randomUUID, createHash } from 'node:crypto';
import { SigningKey, TypedDataEncoder, computeAddress, getAddress, type TypedDataDomain } from 'ethers';
import { recoverSigner } from '../consent/typed-data.js';
import { canonicalize } from '../crypto/canonical.js';
import type { Hex } from '../ledger/ports.js';

export const LICENCE_CONTEXT = ['https://www.w3.org/ns/credentials/v2', 'https://careledger.org/ns/licence/v1'] as const;
export const LICENCE_CREDENTIAL_TYPE = ['VerifiableCredential', 'PractitionerLicenseCredential'] as const;
export const LICENCE_PROOF_TYPE = 'EthereumEip712Signature2021';
/** HL7 v2 table 0360 (degree/license/certificate). */
export const DEGREE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v2-0360';
export const SPECIALTY_SYSTEMS = {
  snomed: 'http://snomed.info/sct',
  nucc: 'http://nucc.org/provider-taxonomy',
} as const;

const DOMAIN_NAME = 'careledger licence';
const DOMAIN_VERSION = '1';
const PRIMARY_TYPE = 'PractitionerLicense';

export const LICENCE_TYPES = {
  PractitionerLicense: [
    { name: 'id', type: 'string' },
    { name: 'issuer', type: 'address' },
    { name: 'issuerOrgId', type: 'string' },
    { name: 'subject', type: 'address' },
    { name: 'jurisdiction', type: 'string' },
    { name: 'degree', type: 'string' },
    { name: 'specialties', type: 'Coding[]' },
    { name: 'licenseNumberHash', type: 'bytes32' },
    { name: 'validFrom', type: 'uint64' },
    { name: 'validUntil', type: 'uint64' },
  ],
  Coding: [
    { name: 'system', type: 'string' },
    { name: 'code', type: 'string' },
  ],
};

/** Which registry a credential counts in: the EIP-712 verifying contract is LicenceRegistry. */
export interface LicenceDomain {
  chainId: number;
  verifyingContract: Hex;
}

export interface Coding {
  system: string;
  code: string;
}

/** What the licensing member decides about one practitioner. Times are seconds since the epoch. */
export interface LicenceTerms {
  subject: Hex;
  /** ISO 3166-2 subdivision (US-MA) or ISO 3166-1 country (GB) for a national licence. */
  jurisdiction: string;
  /** HL7 v2-0360 code (MD, DO, NP...). */
  degree: string;
  specialties: Coding[];
  licenseNumberHash: Hex;
  validFrom: number;
  validUntil: number;
}

export interface LicenceProof {
  type: typeof LICENCE_PROOF_TYPE;
  created: string;
  proofPurpose: 'assertionMethod';
  verificationMethod: string;
  proofValue: Hex;
  eip712: { domain: TypedDataDomain; types: Record<string, Array<{ name: string; type: string }>>; primaryType: string };
}

export interface LicenceCredential {
  '@context': string[];
  type: string[];
  id: string;
  issuer: { id: string; memberOrgId: string };
  validFrom: string;
  validUntil: string;
  credentialSubject: {
    id: string;
    jurisdiction: string;
    degree: Coding;
    specialty: Coding[];
    licenseNumberHash: Hex;
  };
  proof: LicenceProof;
}

/** The credential reduced to what was signed, with its hash and the address the signature recovers to. */
export interface VerifiedLicenceCredential {
  credentialHash: Hex;
  issuer: Hex;
  issuerOrgId: string;
  terms: LicenceTerms;
}

/** A credential that is not one: wrong shape, foreign domain or types, or a signature by someone else. */
export class LicenceCredentialError extends Error {
  constructor(
    readonly reason: 'malformed' | 'wrong-registry' | 'bad-signature',
    message: string,
  ) {
    super(message);
    this.name = 'LicenceCredentialError';
  }
}

export function licenceTypedDomain(domain: LicenceDomain): TypedDataDomain {
  return { name: DOMAIN_NAME, version: DOMAIN_VERSION, chainId: domain.chainId, verifyingContract: domain.verifyingContract };
}

/** did:pkh of an Ethereum account on the consortium chain (CAIP-10, lower-case address). */
export function didPkh(chainId: number, address: Hex): string {
  return `did:pkh:eip155:${chainId}:${getAddress(address).toLowerCase()}`;
}

/** Upper case, without blanks and hyphens: "ma-12 345" and "MA12345" are one licence number. */
export function normaliseLicenceNumber(number: string): string {
  const normalised = number.normalize('NFKC').toUpperCase().replace(/[\s-]+/g, '');
  if (!/^[A-Z0-9./]{1,64}$/.test(normalised)) {
    throw new LicenceCredentialError('malformed', `licence number "${number}" is not 1-64 letters, digits, "." or "/" (blanks and hyphens are ignored)`);
  }
  return normalised;
}

/** SHA-256(salt || UTF-8 of the normalised number); the salt is 32 bytes, fresh when not given. */
export function licenceNumberHash(number: string, salt: Buffer = randomBytes(32)): { hash: Hex; salt: Hex } {
  if (salt.length !== 32) throw new LicenceCredentialError('malformed', 'the licence number salt must be 32 bytes');
  const hash = createHash('sha256').update(salt).update(normaliseLicenceNumber(number), 'utf8').digest('hex');
  return { hash: `0x${hash}`, salt: `0x${salt.toString('hex')}` };
}

/** Signs `terms` as the licensing member's signer key; `id` and `created` are fresh unless given. */
export function issueLicenceCredential(
  signerKey: string,
  issuerOrgId: string,
  domain: LicenceDomain,
  terms: LicenceTerms,
  options: { id?: string; created?: Date } = {},
): LicenceCredential {
  const key = new SigningKey(signerKey);
  const issuer = computeAddress(key.publicKey).toLowerCase() as Hex;
  const id = options.id ?? `urn:uuid:${randomUUID()}`;
  const message = { id, issuer, issuerOrgId, ...validTerms(terms) };
  checkTerms(message);
  const signature = key.sign(TypedDataEncoder.hash(licenceTypedDomain(domain), LICENCE_TYPES, message));
  const issuerDid = didPkh(domain.chainId, issuer);
  return {
    '@context': [...LICENCE_CONTEXT],
    type: [...LICENCE_CREDENTIAL_TYPE],
    id,
    issuer: { id: issuerDid, memberOrgId: issuerOrgId },
    validFrom: isoSeconds(message.validFrom),
    validUntil: isoSeconds(message.validUntil),
    credentialSubject: {
      id: didPkh(domain.chainId, message.subject),
      jurisdiction: message.jurisdiction,
      degree: { system: DEGREE_SYSTEM, code: message.degree },
      specialty: message.specialties.map(({ system, code }) => ({ system, code })),
      licenseNumberHash: message.licenseNumberHash,
    },
    proof: {
      type: LICENCE_PROOF_TYPE,
      created: (options.created ?? new Date()).toISOString(),
      proofPurpose: 'assertionMethod',
      verificationMethod: `${issuerDid}#blockchainAccountId`,
      proofValue: signature.serialized.toLowerCase() as Hex,
      eip712: embeddedEip712(domain),
    },
  };
}

/**
 * Checks the credential's shape against this format, its `eip712` block against `domain` (the
 * pinned registry) and the definitions here, and its signature against its issuer; returns its
 * hash and terms. Throws LicenceCredentialError. Says nothing about the registry's view (issued?
 * revoked?) or the issuer's membership: that is LicenceCheck's.
 */
export function verifyLicenceCredential(value: unknown, domain: LicenceDomain): VerifiedLicenceCredential {
  const credential = shapeOf(value);
  const expected = embeddedEip712(domain);
  const embedded = credential.proof.eip712;
  if (!sameTypes(embedded.types) || embedded.primaryType !== expected.primaryType) {
    throw new LicenceCredentialError('malformed', `the credential's eip712 types are not careledger's ${PRIMARY_TYPE} types: it was not issued by careledger`);
  }
  const stated = normalDomain(embedded.domain);
  if (!sameJson(stated, normalDomain(expected.domain))) {
    throw new LicenceCredentialError(
      'wrong-registry',
      `the credential was signed for "${stated.name}" v${stated.version} at ${stated.verifyingContract} on chain ${stated.chainId}, not for LicenceRegistry ${domain.verifyingContract} on chain ${domain.chainId}: ask its issuer for one in this consortium`,
    );
  }
  const issuer = addressFromDid(credential.issuer.id, domain.chainId, 'issuer.id');
  if (credential.proof.verificationMethod !== `${credential.issuer.id}#blockchainAccountId`) {
    throw new LicenceCredentialError('malformed', `proof.verificationMethod must be the issuer's ${credential.issuer.id}#blockchainAccountId`);
  }
  const terms: LicenceTerms = {
    subject: addressFromDid(credential.credentialSubject.id, domain.chainId, 'credentialSubject.id'),
    jurisdiction: credential.credentialSubject.jurisdiction,
    degree: credential.credentialSubject.degree.code,
    specialties: credential.credentialSubject.specialty,
    licenseNumberHash: credential.credentialSubject.licenseNumberHash,
    validFrom: secondsOf(credential.validFrom, 'validFrom'),
    validUntil: secondsOf(credential.validUntil, 'validUntil'),
  };
  if (credential.credentialSubject.degree.system !== DEGREE_SYSTEM) {
    throw new LicenceCredentialError('malformed', `credentialSubject.degree.system must be ${DEGREE_SYSTEM}`);
  }
  const message = { id: credential.id, issuer, issuerOrgId: credential.issuer.memberOrgId, ...terms };
  checkTerms(message);
  const credentialHash = TypedDataEncoder.hash(licenceTypedDomain(domain), LICENCE_TYPES, message).toLowerCase() as Hex;
  const signer = recoverSigner(credentialHash, credential.proof.proofValue);
  if (signer !== issuer) {
    throw new LicenceCredentialError('bad-signature', `the proof does not verify for issuer ${issuer}: the credential was altered or not signed by its issuer`);
  }
  return { credentialHash, issuer, issuerOrgId: credential.issuer.memberOrgId, terms };
}

/** The types a wallet's eth_signTypedData_v4 needs: ours plus EIP712Domain for this domain's four fields. */
const EMBEDDED_TYPES = canonicalize({
  PractitionerLicense: LICENCE_TYPES.PractitionerLicense,
  Coding: LICENCE_TYPES.Coding,
  EIP712Domain: [
    { name: 'name', type: 'string' },
    { name: 'version', type: 'string' },
    { name: 'chainId', type: 'uint256' },
    { name: 'verifyingContract', type: 'address' },
  ],
});

function sameTypes(types: unknown): boolean {
  try {
    return canonicalize(types) === EMBEDDED_TYPES;
  } catch {
    return false;
  }
}

function embeddedEip712(domain: LicenceDomain): LicenceProof['eip712'] {
  return { domain: licenceTypedDomain(domain), types: JSON.parse(EMBEDDED_TYPES), primaryType: PRIMARY_TYPE };
}

function validTerms(terms: LicenceTerms): LicenceTerms {
  if (!/^0x[0-9a-fA-F]{40}$/.test(terms.subject)) throw new LicenceCredentialError('malformed', `subject "${terms.subject}" is not an address (0x and 40 hex digits)`);
  return { ...terms, subject: terms.subject.toLowerCase() as Hex, specialties: terms.specialties.map(({ system, code }) => ({ system, code })) };
}

const JURISDICTION = /^[A-Z]{2}(-[A-Z0-9]{1,3})?$/;
const DEGREE = /^[A-Za-z][A-Za-z0-9]{0,9}$/;
const CODE_FORMATS: Record<string, RegExp> = {
  [SPECIALTY_SYSTEMS.snomed]: /^[1-9][0-9]{5,17}$/,
  [SPECIALTY_SYSTEMS.nucc]: /^[0-9]{3}[0-9A-Z]{6}X$/,
};
const MAX_SECONDS = 253402300799; // 9999-12-31T23:59:59Z, the last instant ISO 8601 writes in four digits

function checkTerms(message: LicenceTerms & { id: string; issuerOrgId: string }): void {
  const fail = (text: string) => {
    throw new LicenceCredentialError('malformed', text);
  };
  if (!/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(message.id)) fail(`id "${message.id}" is not a lower-case urn:uuid`);
  if (!message.issuerOrgId) fail('issuer.memberOrgId is empty: it names the licensing member');
  if (!JURISDICTION.test(message.jurisdiction)) fail(`jurisdiction "${message.jurisdiction}" is not an ISO 3166-2 code (US-MA) or ISO 3166-1 country (GB)`);
  if (!DEGREE.test(message.degree)) fail(`degree "${message.degree}" is not an HL7 v2-0360 code (MD, DO, NP...)`);
  if (message.specialties.length === 0) fail('at least one specialty is required (SNOMED CT or NUCC)');
  for (const { system, code } of message.specialties) {
    const format = CODE_FORMATS[system];
    if (!format) fail(`specialty system "${system}" is neither SNOMED CT (${SPECIALTY_SYSTEMS.snomed}) nor NUCC (${SPECIALTY_SYSTEMS.nucc})`);
    if (!format!.test(code)) fail(`specialty code "${code}" is not a ${system} code`);
  }
  if (!/^0x[0-9a-f]{64}$/.test(message.licenseNumberHash)) fail('licenseNumberHash must be 32 bytes of lower-case hex');
  for (const [name, value] of [['validFrom', message.validFrom], ['validUntil', message.validUntil]] as const) {
    if (!Number.isSafeInteger(value) || value < 0 || value > MAX_SECONDS) fail(`${name} is not a time between 1970 and 9999`);
  }
  if (message.validUntil <= message.validFrom) fail(`validUntil (${isoSeconds(message.validUntil)}) must be after validFrom (${isoSeconds(message.validFrom)})`);
}

function shapeOf(value: unknown): LicenceCredential {
  const fail = (text: string): never => {
    throw new LicenceCredentialError('malformed', `not a careledger licence credential: ${text}`);
  };
  if (!isObject(value)) return fail('not a JSON object');
  // Only signed fields (and the proof's own metadata): nothing unsigned can ride along and be shown as licensed.
  const extra = (object: Record<string, unknown>, allowed: string[], where: string) => {
    const unknown = Object.keys(object).filter((key) => !allowed.includes(key));
    if (unknown.length) fail(`${where} has unsigned field(s) ${unknown.join(', ')}`);
  };
  extra(value, ['@context', 'type', 'id', 'issuer', 'validFrom', 'validUntil', 'credentialSubject', 'proof'], 'the credential');
  if (!sameJson(value['@context'], LICENCE_CONTEXT)) return fail(`@context must be ${JSON.stringify(LICENCE_CONTEXT)}`);
  if (!sameJson(value.type, LICENCE_CREDENTIAL_TYPE)) return fail(`type must be ${JSON.stringify(LICENCE_CREDENTIAL_TYPE)}`);
  if (typeof value.id !== 'string') return fail('id is missing');
  const issuer = value.issuer;
  if (!isObject(issuer) || typeof issuer.id !== 'string' || typeof issuer.memberOrgId !== 'string') return fail('issuer must be { id, memberOrgId }');
  extra(issuer, ['id', 'memberOrgId'], 'issuer');
  if (typeof value.validFrom !== 'string' || typeof value.validUntil !== 'string') return fail('validFrom and validUntil must be ISO 8601 date-times');
  const subject = value.credentialSubject;
  if (!isObject(subject)) return fail('credentialSubject is missing');
  if (typeof subject.id !== 'string' || typeof subject.jurisdiction !== 'string' || typeof subject.licenseNumberHash !== 'string') {
    return fail('credentialSubject needs id, jurisdiction and licenseNumberHash');
  }
  extra(subject, ['id', 'jurisdiction', 'degree', 'specialty', 'licenseNumberHash'], 'credentialSubject');
  if (!isCoding(subject.degree)) return fail('credentialSubject.degree must be { system, code }');
  if (!Array.isArray(subject.specialty) || !subject.specialty.every(isCoding)) return fail('credentialSubject.specialty must be a list of { system, code }');
  const proof = value.proof;
  if (!isObject(proof) || proof.type !== LICENCE_PROOF_TYPE || proof.proofPurpose !== 'assertionMethod') {
    return fail(`proof must be an ${LICENCE_PROOF_TYPE} for assertionMethod`);
  }
  extra(proof, ['type', 'created', 'proofPurpose', 'verificationMethod', 'proofValue', 'eip712'], 'proof');
  const typed = proof.eip712 as Record<string, unknown> | undefined;
  if (typeof proof.proofValue !== 'string' || typeof proof.verificationMethod !== 'string' || !isObject(typed) || !isObject(typed.domain) || !isObject(typed.types)) {
    return fail('proof needs proofValue, verificationMethod and eip712 { domain, types, primaryType }');
  }
  return value as unknown as LicenceCredential;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCoding(value: unknown): value is Coding {
  return isObject(value) && typeof value.system === 'string' && typeof value.code === 'string' && Object.keys(value).length === 2;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The domain compared field by field, the contract address case-insensitively, the chain id as a number. */
function normalDomain(domain: TypedDataDomain) {
  return {
    name: domain.name,
    version: domain.version,
    chainId: domain.chainId === undefined || domain.chainId === null ? null : Number(domain.chainId),
    verifyingContract: typeof domain.verifyingContract === 'string' ? domain.verifyingContract.toLowerCase() : null,
    salt: domain.salt ?? null,
  };
}

function addressFromDid(did: string, chainId: number, field: string): Hex {
  const match = /^did:pkh:eip155:([0-9]+):(0x[0-9a-f]{40})$/.exec(did);
  if (!match) throw new LicenceCredentialError('malformed', `${field} "${did}" is not did:pkh:eip155:<chain id>:<lower-case address>`);
  if (Number(match[1]) !== chainId) {
    throw new LicenceCredentialError('wrong-registry', `${field} names chain ${match[1]}, not the consortium's chain ${chainId}`);
  }
  return match[2] as Hex;
}

/** ISO 8601 with an offset, whole seconds: the signed message holds seconds. */
function secondsOf(iso: string, field: string): number {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(iso)) {
    throw new LicenceCredentialError('malformed', `${field} "${iso}" is not an ISO 8601 date-time with a time zone`);
  }
  const ms = Date.parse(iso);
  if (Number.isNaN(ms) || ms % 1000 !== 0) throw new LicenceCredentialError('malformed', `${field} "${iso}" is not a whole-second instant`);
  return ms / 1000;
}

export function isoSeconds(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}
