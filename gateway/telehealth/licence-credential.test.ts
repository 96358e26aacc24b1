import { TypedDataEncoder, Wallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import type { Hex } from '../ledger/ports.js';
import {
  DEGREE_SYSTEM,
  LICENCE_TYPES,
  LicenceCredentialError,
  SPECIALTY_SYSTEMS,
  issueLicenceCredential,
  licenceNumberHash,
  licenceTypedDomain,
  normaliseLicenceNumber,
  verifyLicenceCredential,
  type LicenceCredential,
  type LicenceTerms,
} from './licence-credential.js';

const board = Wallet.createRandom();
const practitioner = Wallet.createRandom();
const domain = { chainId: 31337, verifyingContract: '0x5fbdb2315678afecb367f032d93f642f64180aa3' as Hex };
const terms: LicenceTerms = {
  subject: practitioner.address.toLowerCase() as Hex,
  jurisdiction: 'US-MA',
  degree: 'MD',
  specialties: [
    { system: SPECIALTY_SYSTEMS.nucc, code: '207RC0000X' },
    { system: SPECIALTY_SYSTEMS.snomed, code: '394579002' },
  ],
  licenseNumberHash: licenceNumberHash('MD-123 456').hash,
  validFrom: 1_790_000_000,
  validUntil: 1_800_000_000,
};
const issue = () => issueLicenceCredential(board.privateKey, 'medical-board', domain, terms);
const refusal = (value: unknown) => {
  try {
    verifyLicenceCredential(value, domain);
    return 'verified';
  } catch (error) {
    expect(error).toBeInstanceOf(LicenceCredentialError);
    return `${(error as LicenceCredentialError).reason}: ${(error as Error).message}`;
  }
};
const altered = (change: (c: LicenceCredential) => void) => {
  const credential = structuredClone(issue());
  change(credential);
  return credential;
};

describe('licence credential', () => {
  it('is a VC 2.0 credential whose hash is the EIP-712 digest a wallet would sign', async () => {
    const credential = issue();
    expect(credential).toMatchObject({
      '@context': ['https://www.w3.org/ns/credentials/v2', 'https://careledger.org/ns/licence/v1'],
      type: ['VerifiableCredential', 'PractitionerLicenseCredential'],
      issuer: { id: `did:pkh:eip155:31337:${board.address.toLowerCase()}`, memberOrgId: 'medical-board' },
      validFrom: '2026-09-21T14:13:20Z',
      validUntil: '2027-01-15T08:00:00Z',
      credentialSubject: {
        id: `did:pkh:eip155:31337:${terms.subject}`,
        jurisdiction: 'US-MA',
        degree: { system: DEGREE_SYSTEM, code: 'MD' },
        licenseNumberHash: terms.licenseNumberHash,
      },
      proof: {
        type: 'EthereumEip712Signature2021',
        proofPurpose: 'assertionMethod',
        verificationMethod: `did:pkh:eip155:31337:${board.address.toLowerCase()}#blockchainAccountId`,
        eip712: { primaryType: 'PractitionerLicense', domain: { name: 'careledger licence', version: '1', chainId: 31337, verifyingContract: domain.verifyingContract } },
      },
    });
    expect(credential.id).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
    expect(JSON.stringify(credential)).not.toMatch(/123456/);

    const verified = verifyLicenceCredential(JSON.parse(JSON.stringify(credential)), domain);
    expect(verified).toEqual({ credentialHash: verified.credentialHash, issuer: board.address.toLowerCase(), issuerOrgId: 'medical-board', terms });
    // What eth_signTypedData_v4 signs over the embedded block gives the same signature and hash.
    const message = { id: credential.id, issuer: board.address, issuerOrgId: 'medical-board', ...terms };
    expect(TypedDataEncoder.hash(licenceTypedDomain(domain), LICENCE_TYPES, message).toLowerCase()).toBe(verified.credentialHash);
    expect(await board.signTypedData(licenceTypedDomain(domain), LICENCE_TYPES, message)).toBe(credential.proof.proofValue);
    expect(Object.keys(credential.proof.eip712.types).sort()).toEqual(['Coding', 'EIP712Domain', 'PractitionerLicense']);
  });

  it('hashes the licence number salted and normalised, so one number gives unlinkable hashes', () => {
    const salt = Buffer.alloc(32, 7);
    expect(licenceNumberHash('md-123 456', salt)).toEqual(licenceNumberHash('MD123456', salt));
    expect(licenceNumberHash('MD123456').hash).not.toBe(licenceNumberHash('MD123456').hash);
    expect(normaliseLicenceNumber(' ma 12-34 ')).toBe('MA1234');
    expect(() => normaliseLicenceNumber('  ')).toThrow(/licence number/);
    expect(() => normaliseLicenceNumber('12;drop')).toThrow(/letters, digits/);
  });

  it('refuses a tampered credential: any signed field changed breaks the signature', () => {
    expect(refusal(altered((c) => (c.credentialSubject.jurisdiction = 'US-NY')))).toMatch(/^bad-signature: .*altered/);
    expect(refusal(altered((c) => (c.validUntil = '2030-01-01T00:00:00Z')))).toMatch(/^bad-signature/);
    expect(refusal(altered((c) => c.credentialSubject.specialty.pop()))).toMatch(/^bad-signature/);
    expect(refusal(altered((c) => (c.credentialSubject.id = `did:pkh:eip155:31337:${Wallet.createRandom().address.toLowerCase()}`)))).toMatch(/^bad-signature/);
    expect(refusal(altered((c) => (c.issuer.memberOrgId = 'hospital-b')))).toMatch(/^bad-signature/);
    // Same validity written another way is the same instant, hence the same credential.
    expect(refusal(altered((c) => (c.validFrom = '2026-09-21T16:13:20+02:00')))).toBe('verified');
  });

  it('refuses a credential signed by someone other than its stated issuer', () => {
    const forged = issueLicenceCredential(Wallet.createRandom().privateKey, 'medical-board', domain, terms);
    forged.issuer = issue().issuer;
    forged.proof.verificationMethod = issue().proof.verificationMethod;
    expect(refusal(forged)).toMatch(/^bad-signature: .*not signed by its issuer/);
    expect(refusal(altered((c) => (c.proof.proofValue = `${c.proof.proofValue.slice(0, -2)}1f` as Hex)))).toMatch(/^bad-signature/);
  });

  it("never takes the credential's word for its domain or types", () => {
    expect(refusal(issueLicenceCredential(board.privateKey, 'medical-board', { ...domain, chainId: 1 }, terms))).toMatch(/^wrong-registry: .*chain 1/);
    const otherRegistry = issueLicenceCredential(board.privateKey, 'medical-board', { ...domain, verifyingContract: `0x${'ab'.repeat(20)}` }, terms);
    expect(refusal(otherRegistry)).toMatch(/^wrong-registry: .*ask its issuer/);
    const looser = altered((c) => {
      c.proof.eip712.types.PractitionerLicense = c.proof.eip712.types.PractitionerLicense!.filter((f) => f.name !== 'jurisdiction');
    });
    expect(refusal(looser)).toMatch(/^malformed: .*eip712 types/);
    expect(refusal(altered((c) => (c.proof.eip712.primaryType = 'Coding')))).toMatch(/^malformed/);
  });

  it('refuses malformed credentials with what is wrong', () => {
    expect(refusal('nope')).toMatch(/^malformed: .*JSON object/);
    expect(refusal(altered((c) => (c.type = ['VerifiableCredential'])))).toMatch(/type must be/);
    expect(refusal(altered((c) => ((c.credentialSubject as Record<string, unknown>).name = 'Dr Jane Roe')))).toMatch(/unsigned field\(s\) name/);
    expect(refusal(altered((c) => ((c as unknown as Record<string, unknown>).evidence = [])))).toMatch(/unsigned field\(s\) evidence/);
    expect(refusal(altered((c) => (c.validFrom = '2026-09-21')))).toMatch(/validFrom .* time zone/);
    expect(refusal(altered((c) => (c.validFrom = '2026-09-21T14:13:20.5Z')))).toMatch(/whole-second/);
    expect(refusal(altered((c) => (c.credentialSubject.id = 'did:web:example.org')))).toMatch(/credentialSubject.id .* did:pkh/);
    expect(refusal(altered((c) => (c.credentialSubject.degree.system = 'http://example.org'))))
      .toMatch(/degree.system must be/);
  });

  it('refuses to issue terms a verifier could not read', () => {
    const attempt = (change: Partial<LicenceTerms>) => () => issueLicenceCredential(board.privateKey, 'medical-board', domain, { ...terms, ...change });
    expect(attempt({ jurisdiction: 'Massachusetts' })).toThrow(/ISO 3166-2/);
    expect(attempt({ subject: '0x12' as Hex })).toThrow(/subject "0x12" is not an address/);
    expect(attempt({ degree: 'M.D.' })).toThrow(/v2-0360/);
    expect(attempt({ specialties: [] })).toThrow(/at least one specialty/);
    expect(attempt({ specialties: [{ system: 'http://example.org', code: '1' }] })).toThrow(/neither SNOMED CT/);
    expect(attempt({ specialties: [{ system: SPECIALTY_SYSTEMS.nucc, code: '207RC0000' }] })).toThrow(/not a http:\/\/nucc.org/);
    expect(attempt({ validUntil: terms.validFrom })).toThrow(/validUntil .* must be after validFrom/);
    expect(attempt({ licenseNumberHash: '0x12' as Hex })).toThrow(/32 bytes/);
    expect(() => issueLicenceCredential(board.privateKey, '', domain, terms)).toThrow(/memberOrgId/);
  });
});
