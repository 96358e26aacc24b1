import { Wallet, ZeroHash, id } from 'ethers';
import { beforeAll, describe, expect, it } from 'vitest';
import { deployConsortium } from '../../../network/deploy.js';
import { useEmbeddedChain } from '../../../test/support/chain-fixture.js';
import { CONSENT_TYPES, REVOCATION_TYPES, type ConsentMessage, consentDigest, contractTerms, typedDomain } from '../../consent/typed-data.js';
import { ConsentRejectedError } from '../consent-errors.js';
import type { Hex } from '../ports.js';
import { EvmConsentPort } from './consent-port.js';
import { TxSender } from './tx-sender.js';

const fixture = useEmbeddedChain();

describe('EvmConsentPort', () => {
  let port: EvmConsentPort;
  let outsider: EvmConsentPort;
  const patient = new Wallet(Wallet.createRandom().privateKey);
  const B = id('hospital-b') as Hex;

  beforeAll(async () => {
    const { chain, provider, dataDir } = fixture();
    const hospital = new Wallet(chain.accounts[1]!.privateKey, provider);
    const deployed = await deployConsortium({
      rpcUrl: chain.rpcUrl,
      chainId: chain.chainId,
      deployerKey: chain.accounts[0]!.privateKey,
      members: [
        { orgId: 'hospital-a', roles: ['HOSPITAL', 'EMERGENCY'], signer: chain.accounts[1]!.address },
        { orgId: 'hospital-b', roles: ['HOSPITAL'], signer: chain.accounts[2]!.address },
      ],
      dataDir,
    });
    const send = (wallet: Wallet) => new TxSender(wallet, provider, chain.chainId, { gasPrice: 0n, confirmTimeoutMs: 30_000 });
    port = new EvmConsentPort(deployed.contracts.ConsentRegistry!, chain.chainId, provider, send(hospital));
    outsider = new EvmConsentPort(deployed.contracts.ConsentRegistry!, chain.chainId, provider, send(new Wallet(chain.accounts[5]!.privateKey, provider)));
  });

  const message = async (): Promise<ConsentMessage> => {
    const now = Math.floor(Date.now() / 1000);
    return {
      patient: patient.address.toLowerCase() as Hex,
      granteeMember: B,
      granteePractitioner: ZeroHash as Hex,
      actions: ['access'],
      categories: ['Observation'],
      purposes: 1,
      notBefore: now - 10,
      notAfter: now + 600,
      nonce: await port.nonceOf(patient.address as Hex),
    };
  };
  const domain = () => typedDomain({ chainId: port.chainId, verifyingContract: port.contract });

  it('records a grant, reads it back and replays its events in order', async () => {
    const m = await message();
    const from = await port.latestBlock();
    const granted = await port.grant(contractTerms(m), (await patient.signTypedData(domain(), CONSENT_TYPES, m)) as Hex);
    const grantId = consentDigest({ chainId: port.chainId, verifyingContract: port.contract }, m);
    expect(granted.grant).toMatchObject({ grantId, patient: m.patient, granteeMember: B, purposes: 1, revokedAt: null });
    expect(await port.getGrant(grantId)).toEqual(granted.grant);
    expect(await port.getGrant(id('none') as Hex)).toBeNull();

    const nonce = await port.nonceOf(m.patient);
    const revoked = await port.revokeWithSignature(grantId, nonce, (await patient.signTypedData(domain(), REVOCATION_TYPES, { grantId, nonce })) as Hex);
    const emergency = await port.recordEmergencyAccess(id('hospital-a') as Hex, m.patient, id('salted reason') as Hex);
    const events = await port.events(from + 1, await port.latestBlock());
    expect(events.map((e) => e.kind)).toEqual(['granted', 'revoked', 'emergency']);
    expect(events[1]).toMatchObject({ kind: 'revoked', grantId, patient: m.patient, txHash: revoked.txHash, blockTime: revoked.blockTime });
    expect(events[2]).toMatchObject({ kind: 'emergency', accessor: id('hospital-a'), txHash: emergency.txHash });
    expect((await port.getGrant(grantId))!.revokedAt).toBe(revoked.blockTime);
  });

  it('turns contract refusals into ConsentRejectedError with the reason and arguments', async () => {
    const m = await message();
    const signature = (await new Wallet(Wallet.createRandom().privateKey).signTypedData(domain(), CONSENT_TYPES, m)) as Hex;
    const error = await port.grant(contractTerms(m), signature).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConsentRejectedError);
    expect((error as ConsentRejectedError).reason).toBe('InvalidSignature');
    const notMember = await outsider.grant(contractTerms(m), signature).catch((e: unknown) => e);
    expect((notMember as ConsentRejectedError).reason).toBe('NotHospital');
  });
});
