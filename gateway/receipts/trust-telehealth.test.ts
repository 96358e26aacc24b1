// The trust file and the telehealth registries, on a real anvil: a member's export pins
// LicenceRegistry and TelehealthRegistry with the rest, refuses a set that does not belong
// together, and a trust file made before they existed is still read and checked as before.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deployConsortium } from '../../network/deploy.js';
import { deployedOnce, useEmbeddedChain } from '../../test/support/chain-fixture.js';
import { openLedgerClient } from '../ledger/factory.js';
import type { LedgerClient } from '../ledger/ports.js';
import { parseTrustFile, serializeTrustFile } from './trust-file.js';
import { TrustMismatchError, checkPinnedChain, exportTrust } from './trust-root.js';

const fixture = useEmbeddedChain();
const consortium = deployedOnce(fixture, [
  { orgId: 'hospital-a', roles: ['HOSPITAL'] },
  { orgId: 'licensing-l', roles: ['LICENSING'] },
]);

async function withClient<T>(use: (client: LedgerClient) => Promise<T>): Promise<T> {
  const deployed = await consortium();
  const client = await openLedgerClient({ kind: 'evm', ...deployed });
  try {
    return await use(client);
  } finally {
    await client.close();
  }
}

describe('trust file with the telehealth registries', () => {
  it('pins LicenceRegistry and TelehealthRegistry next to the other registries', async () => {
    const { chainId, contracts } = await consortium();
    const trust = await withClient((client) => exportTrust({ kind: 'evm', chainId, contracts }, client.verifier));
    expect(trust.contracts.LicenceRegistry).toBe(contracts.LicenceRegistry);
    expect(trust.contracts.TelehealthRegistry).toBe(contracts.TelehealthRegistry);
    expect(trust.contracts.CohortCountVerifier).toBeUndefined();
    expect(parseTrustFile(serializeTrustFile(trust))).toEqual(trust);
  });

  it('refuses to pin a TelehealthRegistry or LicenceRegistry of another deployment', async () => {
    const deployed = await consortium();
    const { chain, dataDir } = fixture();
    const other = await deployConsortium({
      rpcUrl: chain.rpcUrl,
      chainId: chain.chainId,
      deployerKey: chain.accounts[0]!.privateKey,
      members: [{ orgId: 'hospital-z', roles: ['HOSPITAL'], signer: chain.accounts[9]!.address }],
      dataDir: join(dataDir, 'other-consortium'),
    });
    const mixes = [
      [{ TelehealthRegistry: other.contracts.TelehealthRegistry! }, /TelehealthRegistry 0x[0-9a-f]{40} consults ConsortiumRegistry/],
      [{ LicenceRegistry: other.contracts.LicenceRegistry! }, /TelehealthRegistry 0x[0-9a-f]{40} checks licences in LicenceRegistry/],
    ] as const;
    for (const [swap, message] of mixes) {
      const contracts = { ...deployed.contracts, ...swap };
      const refusal = await withClient((client) => exportTrust({ kind: 'evm', chainId: deployed.chainId, contracts }, client.verifier).catch((e: unknown) => e));
      expect(refusal).toBeInstanceOf(TrustMismatchError);
      expect((refusal as Error).message).toMatch(message);
    }
  });

  it('still reads and checks a trust file made before the telehealth registries', async () => {
    const { chainId, contracts } = await consortium();
    const { LicenceRegistry: _licences, TelehealthRegistry: _telehealth, ...older } = contracts;
    const trust = await withClient((client) => exportTrust({ kind: 'evm', chainId, contracts: older }, client.verifier));
    const reread = parseTrustFile(serializeTrustFile(trust));
    expect(Object.keys(reread.contracts)).not.toContain('TelehealthRegistry');
    await withClient((client) => checkPinnedChain(reread, client.verifier));
  });
});
