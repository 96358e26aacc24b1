import { type BaseContract, ContractFactory, Signature, TypedDataEncoder, Wallet, ZeroAddress, ZeroHash, getAddress, id, recoverAddress, toBeHex } from 'ethers';
import { beforeAll, describe, expect, it } from 'vitest';
import { useEmbeddedChain } from '../../test/support/chain-fixture.js';
import {
  CONSENT_TYPES,
  REVOCATION_TYPES,
  type ConsentDomain,
  type ConsentMessage,
  consentDigest,
  contractTerms,
  practitionerHash,
  revocationDigest,
  typedDomain,
} from '../../gateway/consent/typed-data.js';
import { scopeHash } from '../../gateway/consent/consent-scope.js';
import type { Hex } from '../../gateway/ledger/ports.js';
import { decodeRevert } from '../../gateway/ledger/evm/revert.js';
import { artifacts } from './artifacts.js';
import { event, eventsOf } from './contract-events.js';
import { expectRevert, failureOf } from './revert-assertions.js';

const consortiumFactory = new ContractFactory(artifacts.ConsortiumRegistry.abi as never, artifacts.ConsortiumRegistry.bytecode);
const consentFactory = new ContractFactory(artifacts.ConsentRegistry.abi as never, artifacts.ConsentRegistry.bytecode);
const iface = consentFactory.interface;
const HOSPITAL = 1;
const PAYER = 2;
const EMERGENCY = 16;
const TREAT = 1;
const HPAYMT = 4;
const A = id('hospital-a') as Hex;
const B = id('hospital-b') as Hex;
const C = id('payer-c') as Hex;
const NOBODY = id('nobody') as Hex;

const fixture = useEmbeddedChain();
const addr = (i: number) => fixture().chain.accounts[i]!.address;

type Registry = BaseContract & Record<string, (...args: unknown[]) => Promise<any>>;

describe('ConsentRegistry', () => {
  let registry: Registry;
  let domain: ConsentDomain;
  // The patient's key: custodied by a hospital or held in a wallet, the contract cannot tell.
  const patient = new Wallet(Wallet.createRandom().privateKey);
  const other = new Wallet(Wallet.createRandom().privateKey);
  const as = async (i: number) => registry.connect(await fixture().signer(i)) as Registry;
  const now = async () => (await fixture().provider.getBlock('latest'))!.timestamp;

  async function message(overrides: Partial<ConsentMessage> = {}): Promise<ConsentMessage> {
    const t = await now();
    return {
      patient: patient.address.toLowerCase() as Hex,
      granteeMember: B,
      granteePractitioner: practitionerHash(B, 'pract-7'),
      actions: ['access'],
      categories: ['Condition', 'Observation:laboratory'],
      purposes: TREAT,
      notBefore: t - 60,
      notAfter: t + 3600,
      nonce: await registry.nonces(patient.address),
      ...overrides,
    };
  }
  const sign = (signer: Wallet, m: ConsentMessage) => signer.signTypedData(typedDomain(domain), CONSENT_TYPES, m);
  const signRevocation = (signer: Wallet, grantId: string, nonce: bigint) =>
    signer.signTypedData(typedDomain(domain), REVOCATION_TYPES, { grantId, nonce });

  async function granted(m: ConsentMessage): Promise<Hex> {
    await (await (await as(1)).grant(contractTerms(m), await sign(patient, m))).wait();
    return consentDigest(domain, m);
  }

  beforeAll(async () => {
    // A is a hospital with the EMERGENCY role, B a hospital, C a payer.
    const deployer = await fixture().signer(0);
    const consortium = await consortiumFactory
      .connect(deployer)
      .deploy(['hospital-a', 'hospital-b', 'payer-c'], [HOSPITAL | EMERGENCY, HOSPITAL, PAYER], [addr(1), addr(2), addr(3)], 3600);
    await consortium.waitForDeployment();
    registry = (await consentFactory.connect(deployer).deploy(await consortium.getAddress())) as unknown as Registry;
    await registry.waitForDeployment();
    domain = { chainId: fixture().chain.chainId, verifyingContract: (await registry.getAddress()).toLowerCase() as Hex };
  });

  it('needs a consortium registry with code', async () => {
    const deployer = await fixture().signer(0);
    await expectRevert(consentFactory.connect(deployer).deploy(addr(7)), iface, 'ConsentRegistryInvalidConsortium', [addr(7)]);
  });

  it('uses the EIP-712 domain and digests the node computes', async () => {
    expect(await registry.domainSeparator()).toBe(TypedDataEncoder.hashDomain(typedDomain(domain)));
    const m = await message();
    expect((await registry.consentDigest(contractTerms(m))).toLowerCase()).toBe(consentDigest(domain, m));
    expect((await registry.revocationDigest(id('g'), 3n)).toLowerCase()).toBe(revocationDigest(domain, { grantId: id('g') as Hex, nonce: 3n }));
  });

  it('records a patient-signed grant submitted by a hospital, once', async () => {
    const m = await message();
    const signature = await sign(patient, m);
    const receipt = await (await (await as(1)).grant(contractTerms(m), signature)).wait();
    const grantId = consentDigest(domain, m);
    const scope = scopeHash({ actions: m.actions, categories: m.categories });
    expect(eventsOf(receipt, iface)).toEqual([
      event('ConsentGranted', grantId, patient.address, B, m.granteePractitioner, scope, TREAT, m.notBefore, m.notAfter, A),
    ]);
    const g = await registry.getGrant(grantId);
    expect([g.patient, g.purposes, g.notBefore, g.notAfter, g.revokedAt, g.granteeMember, g.granteePractitioner, g.scopeHash, g.recordedBy]).toEqual([
      getAddress(patient.address), BigInt(TREAT), BigInt(m.notBefore), BigInt(m.notAfter), 0n, B, m.granteePractitioner, scope, A,
    ]);
    expect(await registry.isActive(grantId)).toBe(true);
    expect(await registry.nonces(patient.address)).toBe(m.nonce + 1n);
    // The same signed consent again: its nonce is spent.
    await expectRevert((await as(2)).grant(contractTerms(m), signature), iface, 'ConsentRegistryInvalidNonce', [patient.address, m.nonce + 1n, m.nonce]);
  });

  it('rejects a forged signature, a tampered field and malformed signatures', async () => {
    const m = await message();
    await expectRevert((await as(1)).grant(contractTerms(m), await sign(other, m)), iface, 'ConsentRegistryInvalidSignature', [patient.address, other.address]);

    const signature = await sign(patient, m);
    for (const tampered of [
      { ...m, categories: ['Condition', 'Observation'] },
      { ...m, purposes: TREAT | HPAYMT },
      { ...m, notAfter: m.notAfter + 86_400 },
      { ...m, granteePractitioner: ZeroHash as Hex },
    ]) {
      const wouldBe = recoverAddress(consentDigest(domain, tampered), signature);
      await expectRevert((await as(1)).grant(contractTerms(tampered), signature), iface, 'ConsentRegistryInvalidSignature', [patient.address, wouldBe]);
    }

    const short = signature.slice(0, 130);
    await expectRevert((await as(1)).grant(contractTerms(m), short), iface, 'ConsentRegistryInvalidSignature', [patient.address, ZeroAddress]);
    const parsed = Signature.from(signature);
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const highS = `${parsed.r}${toBeHex(n - BigInt(parsed.s), 32).slice(2)}${parsed.v === 27 ? '1c' : '1b'}`;
    await expectRevert((await as(1)).grant(contractTerms(m), highS), iface, 'ConsentRegistryInvalidSignature', [patient.address, ZeroAddress]);
    const badV = `${signature.slice(0, 130)}00`;
    await expectRevert((await as(1)).grant(contractTerms(m), badV), iface, 'ConsentRegistryInvalidSignature', [patient.address, ZeroAddress]);
    // A zero patient cannot be "signed for" by a signature that recovers to nothing.
    const zero = { ...m, patient: ZeroAddress as Hex, nonce: 0n };
    await expectRevert((await as(1)).grant(contractTerms(zero), short), iface, 'ConsentRegistryInvalidSignature', [ZeroAddress, ZeroAddress]);
  });

  it('accepts only signers of active HOSPITAL members as submitters', async () => {
    const m = await message();
    const signature = await sign(patient, m);
    await expectRevert((await as(3)).grant(contractTerms(m), signature), iface, 'ConsentRegistryNotHospital', [addr(3)]);
    await expectRevert((await as(7)).grant(contractTerms(m), signature), iface, 'ConsentRegistryNotHospital', [addr(7)]);
  });

  it('checks the grantee, the purposes and the window', async () => {
    const grant = async (overrides: Partial<ConsentMessage>) => {
      const m = await message(overrides);
      return (await as(1)).grant(contractTerms(m), await sign(patient, m));
    };
    await expectRevert(grant({ granteeMember: NOBODY }), iface, 'ConsentRegistryUnknownGrantee', [NOBODY]);
    await expectRevert(grant({ purposes: 0 }), iface, 'ConsentRegistryInvalidPurposes', [0]);
    await expectRevert(grant({ purposes: 16 }), iface, 'ConsentRegistryInvalidPurposes', [16]);

    // The window error also carries the block time the call ran at, which is only known afterwards.
    const t = await now();
    for (const [notBefore, notAfter] of [
      [t + 100, t + 100],
      [t - 100, t - 10],
    ]) {
      const decoded = decodeRevert(await failureOf(grant({ notBefore, notAfter })), iface);
      expect(decoded?.name).toBe('ConsentRegistryInvalidWindow');
      const [gotBefore, gotAfter, at] = [...decoded!.args] as bigint[];
      expect([gotBefore, gotAfter]).toEqual([BigInt(notBefore!), BigInt(notAfter!)]);
      expect(Number(at)).toBeGreaterThanOrEqual(t);
      expect(Number(at)).toBeLessThan(t + 30);
    }
  });

  it('revokes with the patient signature, effective in the same block, and refuses replays', async () => {
    const grantId = await granted(await message());
    const nonce = (await registry.nonces(patient.address)) as bigint;
    await expectRevert(
      (await as(2)).revokeWithSignature(grantId, nonce, await signRevocation(other, grantId, nonce)),
      iface,
      'ConsentRegistryInvalidSignature',
      [patient.address, other.address],
    );
    await expectRevert(
      (await as(3)).revokeWithSignature(grantId, nonce, await signRevocation(patient, grantId, nonce)),
      iface,
      'ConsentRegistryNotHospital',
      [addr(3)],
    );
    await expectRevert(
      (await as(2)).revokeWithSignature(grantId, nonce - 1n, await signRevocation(patient, grantId, nonce - 1n)),
      iface,
      'ConsentRegistryInvalidNonce',
      [patient.address, nonce, nonce - 1n],
    );
    const signature = await signRevocation(patient, grantId, nonce);
    const receipt = await (await (await as(2)).revokeWithSignature(grantId, nonce, signature)).wait();
    expect(eventsOf(receipt, iface)).toEqual([event('ConsentRevoked', grantId, patient.address, addr(2))]);
    expect(await registry.isActive(grantId)).toBe(false);
    const { timestamp } = (await fixture().provider.getBlock(receipt.blockNumber))!;
    expect((await registry.getGrant(grantId)).revokedAt).toBe(BigInt(timestamp));
    await expectRevert((await as(2)).revokeWithSignature(grantId, nonce + 1n, signature), iface, 'ConsentRegistryAlreadyRevoked', [grantId, timestamp]);
    await expectRevert((await as(2)).revokeWithSignature(id('none'), nonce, signature), iface, 'ConsentRegistryUnknownGrant', [id('none')]);
  });

  it('lets a wallet-holding patient revoke from their own address, and nobody else', async () => {
    const walletPatient = new Wallet(fixture().chain.accounts[6]!.privateKey);
    const m = await message({ patient: walletPatient.address.toLowerCase() as Hex, nonce: await registry.nonces(walletPatient.address) });
    await (await (await as(1)).grant(contractTerms(m), await sign(walletPatient, m))).wait();
    const grantId = consentDigest(domain, m);
    await expectRevert((await as(7)).revoke(grantId), iface, 'ConsentRegistryNotPatient', [grantId, addr(7)]);
    await expectRevert((await as(1)).revoke(grantId), iface, 'ConsentRegistryNotPatient', [grantId, addr(1)]);
    const receipt = await (await (await as(6)).revoke(grantId)).wait();
    expect(eventsOf(receipt, iface)).toEqual([event('ConsentRevoked', grantId, walletPatient.address, addr(6))]);
    const { timestamp } = (await fixture().provider.getBlock(receipt.blockNumber))!;
    await expectRevert((await as(6)).revoke(grantId), iface, 'ConsentRegistryAlreadyRevoked', [grantId, timestamp]);
    await expectRevert((await as(6)).revoke(id('none')), iface, 'ConsentRegistryUnknownGrant', [id('none')]);
  });

  it('reports an unknown grant as such', async () => {
    await expectRevert(registry.getGrant(id('none')), iface, 'ConsentRegistryUnknownGrant', [id('none')]);
    expect(await registry.isActive(id('none'))).toBe(false);
  });

  it('logs break-glass access only for EMERGENCY members, with a reason hash', async () => {
    const reasonHash = id('salt+reason');
    const receipt = await (await (await as(2)).recordEmergencyAccess(A, patient.address, reasonHash)).wait();
    expect(eventsOf(receipt, iface)).toEqual([event('EmergencyAccessed', A, patient.address, B, reasonHash)]);
    await expectRevert((await as(1)).recordEmergencyAccess(B, patient.address, reasonHash), iface, 'ConsentRegistryNotEmergencyMember', [B]);
    await expectRevert((await as(1)).recordEmergencyAccess(C, patient.address, reasonHash), iface, 'ConsentRegistryNotEmergencyMember', [C]);
    await expectRevert((await as(1)).recordEmergencyAccess(NOBODY, patient.address, reasonHash), iface, 'ConsentRegistryNotEmergencyMember', [NOBODY]);
    await expectRevert((await as(1)).recordEmergencyAccess(A, ZeroAddress, reasonHash), iface, 'ConsentRegistryZeroPatient');
    await expectRevert((await as(1)).recordEmergencyAccess(A, patient.address, ZeroHash), iface, 'ConsentRegistryEmptyReason');
    await expectRevert((await as(3)).recordEmergencyAccess(A, patient.address, reasonHash), iface, 'ConsentRegistryNotHospital', [addr(3)]);
  });
});
