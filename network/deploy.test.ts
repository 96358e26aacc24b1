import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { id } from 'ethers';
import { describe, expect, it } from 'vitest';
import { connectLedger } from '../gateway/ledger/factory.js';
import type { Hex } from '../gateway/ledger/ports.js';
import { type DeployOptions, deployConsortium, readChainFile, rolesMask } from './deploy.js';
import { useEmbeddedChain } from '../test/support/chain-fixture.js';

const fixture = useEmbeddedChain();
const ZERO = `0x${'0'.repeat(64)}` as Hex;

/** The same one-hospital consortium each time, so a second deployment on the fixture's chain can reuse the first. */
function oneHospital(): DeployOptions {
  const { chain, dataDir } = fixture();
  return {
    rpcUrl: chain.rpcUrl,
    chainId: chain.chainId,
    deployerKey: chain.accounts[0]!.privateKey,
    dataDir,
    members: [{ orgId: 'hospital-a', roles: ['HOSPITAL'], signer: chain.accounts[1]!.address }],
  };
}

describe('deployConsortium', () => {
  it('bootstraps N hospitals, each anchoring its own sequence with its own key, and writes chain.json', async () => {
    const { chain, dataDir } = fixture();
    const hospitals = ['hospital-a', 'hospital-b', 'hospital-c'];
    const t0 = performance.now();
    const deployed = await deployConsortium({
      rpcUrl: chain.rpcUrl,
      chainId: chain.chainId,
      deployerKey: chain.accounts[0]!.privateKey,
      dataDir,
      members: hospitals.map((orgId, i) => ({ orgId, roles: ['HOSPITAL'], signer: chain.accounts[i + 1]!.address })),
    });
    console.info(`deployConsortium (3 hospitals) took ${Math.round(performance.now() - t0)} ms`);
    expect(deployed.reused).toBe(false);
    const { reused: _reused, ...written } = deployed;
    expect(JSON.parse(readFileSync(join(dataDir, 'chain.json'), 'utf8'))).toEqual(written);
    expect(readChainFile(dataDir)).toEqual(written);
    expect(deployed.deployedAt).toBeGreaterThan(0);

    for (const [i, orgId] of hospitals.entries()) {
      const ledger = await connectLedger({ kind: 'evm', ...deployed, privateKey: chain.accounts[i + 1]!.privateKey, pollingIntervalMs: 50 });
      expect(ledger.anchors.memberId).toBe(id(orgId));
      const record = await ledger.anchors.submitAnchor({ sequence: 1n, root: id(`${orgId} batch 1`) as Hex, leafCount: 2, prevRoot: ZERO });
      expect(record.member).toBe(id(orgId));
      await ledger.close();
    }
  });

  it('reuses contracts that are still on the chain and redeploys when they are gone', async () => {
    const { chain, dataDir } = fixture();
    const options = oneHospital();
    const first = readChainFile(dataDir)!;
    const again = await deployConsortium(options);
    expect(again.reused).toBe(true);
    expect(again.contracts).toEqual(first.contracts);

    // chain.json naming addresses with no code (e.g. the chain was reset) triggers a fresh deployment.
    writeFileSync(join(dataDir, 'chain.json'), JSON.stringify({ ...first, contracts: { ...first.contracts, AnchorRegistry: chain.accounts[9]!.address } }));
    const fresh = await deployConsortium(options);
    expect(fresh.reused).toBe(false);
    expect(fresh.contracts.AnchorRegistry).not.toBe(first.contracts.AnchorRegistry);
  });

  it('adds LicenceRegistry and a TelehealthRegistry wired to the chain\'s own registries to a chain deployed before them', async () => {
    const { chain, dataDir } = fixture();
    const options = oneHospital();
    const current = readChainFile(dataDir)!;
    expect(Object.keys(current.contracts)).toEqual(expect.arrayContaining(['LicenceRegistry', 'TelehealthRegistry']));
    const { LicenceRegistry: _licences, TelehealthRegistry: _telehealth, ...older } = current.contracts;
    writeFileSync(join(dataDir, 'chain.json'), JSON.stringify({ ...current, contracts: older }));

    const upgraded = await deployConsortium(options);
    expect(upgraded.reused).toBe(true);
    expect(upgraded.contracts).toMatchObject(older);
    const { LicenceRegistry, TelehealthRegistry } = upgraded.contracts;
    expect(LicenceRegistry).not.toBe(current.contracts.LicenceRegistry);
    const ledger = await connectLedger({ kind: 'evm', ...upgraded, privateKey: chain.accounts[1]!.privateKey, pollingIntervalMs: 50 });
    try {
      expect(ledger.telehealth!.contract).toBe(TelehealthRegistry);
      expect(await ledger.telehealth!.licenceRegistry()).toBe(LicenceRegistry);
      expect(ledger.licences!.contract).toBe(LicenceRegistry);
    } finally {
      await ledger.close();
    }
  });

  it('turns role names into the contract bitmask', () => {
    expect(rolesMask(['HOSPITAL', 'EMERGENCY'])).toBe(17);
    expect(rolesMask([])).toBe(0);
  });
});
