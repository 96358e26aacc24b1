// The EIP-712 messages a patient signs: a Consent and a Revocation, in the domain of one
// ConsentRegistry deployment (name, version, chain id, contract address), so a signature is valid
// for exactly one registry on one chain. The same definitions serve wallets (eth_signTypedData_v4
// with `typedDataRequest`), the custodial signer, the node's checks and the contract's own.

import { AbiCoder, Signature, TypedDataEncoder, ZeroHash, getAddress, keccak256, recoverAddress, type TypedDataDomain } from 'ethers';
import type { ConsentTermsInput, Hex } from '../ledger/ports.js';
import { stringArrayHash } from './consent-scope.js';

const CONSENT_DOMAIN_NAME = 'careledger ConsentRegistry';
const CONSENT_DOMAIN_VERSION = '1';

export interface ConsentDomain {
  chainId: number;
  verifyingContract: Hex;
}

export const CONSENT_TYPES = {
  Consent: [
    { name: 'patient', type: 'address' },
    { name: 'granteeMember', type: 'bytes32' },
    { name: 'granteePractitioner', type: 'bytes32' },
    { name: 'actions', type: 'string[]' },
    { name: 'categories', type: 'string[]' },
    { name: 'purposes', type: 'uint8' },
    { name: 'notBefore', type: 'uint64' },
    { name: 'notAfter', type: 'uint64' },
    { name: 'nonce', type: 'uint256' },
  ],
};

export const REVOCATION_TYPES = {
  Revocation: [
    { name: 'grantId', type: 'bytes32' },
    { name: 'nonce', type: 'uint256' },
  ],
};

/** A consent in the clear, as the patient signs it. Lists are in canonical order (consent-scope.ts). */
export interface ConsentMessage {
  patient: Hex;
  granteeMember: Hex;
  /** practitionerHash() of one practitioner, or zero for any practitioner of the member. */
  granteePractitioner: Hex;
  actions: string[];
  categories: string[];
  purposes: number;
  /** Seconds since the epoch. */
  notBefore: number;
  notAfter: number;
  nonce: bigint;
}

export interface RevocationMessage {
  grantId: Hex;
  nonce: bigint;
}

export function typedDomain(domain: ConsentDomain): TypedDataDomain {
  return { name: CONSENT_DOMAIN_NAME, version: CONSENT_DOMAIN_VERSION, chainId: domain.chainId, verifyingContract: domain.verifyingContract };
}

/** The grant id: the EIP-712 digest of the consent, as ConsentRegistry.consentDigest computes it. */
export function consentDigest(domain: ConsentDomain, message: ConsentMessage): Hex {
  return TypedDataEncoder.hash(typedDomain(domain), CONSENT_TYPES, message).toLowerCase() as Hex;
}

export function revocationDigest(domain: ConsentDomain, message: RevocationMessage): Hex {
  return TypedDataEncoder.hash(typedDomain(domain), REVOCATION_TYPES, message).toLowerCase() as Hex;
}

/** The address a 65-byte signature over `digest` recovers to, or null when it is malformed or high-s. */
export function recoverSigner(digest: Hex, signature: string): Hex | null {
  try {
    // Exactly what the contract accepts: 65 bytes, v 27 or 28, low s. Refusing the rest here
    // keeps the node's verdict and the chain's in step.
    if (!SIGNATURE.test(signature)) return null;
    const parsed = Signature.from(signature);
    if (BigInt(parsed.s) > HALF_ORDER) return null;
    return recoverAddress(digest, parsed).toLowerCase() as Hex;
  } catch {
    return null;
  }
}

/** What a wallet needs for eth_signTypedData_v4. */
export function typedDataRequest(domain: ConsentDomain, message: ConsentMessage) {
  return {
    domain: typedDomain(domain),
    types: CONSENT_TYPES,
    primaryType: 'Consent' as const,
    message: { ...message, nonce: message.nonce.toString() },
  };
}

/** The struct ConsentRegistry.grant takes: the string arrays reduced to their EIP-712 hashes. */
export function contractTerms(message: ConsentMessage): ConsentTermsInput {
  return {
    patient: getAddress(message.patient).toLowerCase() as Hex,
    granteeMember: message.granteeMember,
    granteePractitioner: message.granteePractitioner,
    actionsHash: stringArrayHash(message.actions),
    categoriesHash: stringArrayHash(message.categories),
    purposes: message.purposes,
    notBefore: message.notBefore,
    notAfter: message.notAfter,
    nonce: message.nonce,
  };
}

/**
 * The grantee practitioner as the chain sees it: a hash bound to the member, so the same local id
 * at two members never collides and no practitioner id is published.
 */
export function practitionerHash(memberId: Hex, practitionerId: string | undefined): Hex {
  if (!practitionerId) return ZeroHash as Hex;
  return keccak256(
    AbiCoder.defaultAbiCoder().encode(['string', 'bytes32', 'string'], ['careledger:practitioner:v1', memberId, practitionerId]),
  ) as Hex;
}

const HALF_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;
const SIGNATURE = /^0x[0-9a-fA-F]{128}(1b|1c|1B|1C)$/;
