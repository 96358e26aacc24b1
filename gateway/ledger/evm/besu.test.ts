// The AnchorPort behaviour suite against a real Besu network. Set BESU_RPC_URL and BESU_PRIVATE_KEY
// (a key the network's accounts allowlist lets send, e.g. network/besu/dev-keys/deployer.key for
// `docker compose up`). Each run deploys fresh registries with that key as the only hospital.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import { describe } from 'vitest';
import { deployConsortium } from '../../../network/deploy.js';
import { describeAnchorPort } from '../anchor-port.behaviour.js';
import { connectLedger } from '../factory.js';
import type { Hex } from '../ports.js';

const rpcUrl = process.env.BESU_RPC_URL;
const privateKey = process.env.BESU_PRIVATE_KEY as Hex | undefined;
if (!rpcUrl || !privateKey) {
  console.warn('skipping the Besu ledger tests: set BESU_RPC_URL and BESU_PRIVATE_KEY to run them against a Besu node');
}

describe.skipIf(!rpcUrl || !privateKey)('Besu', () => {
  describeAnchorPort('EVM on Besu', async () => {
    const response = await fetch(rpcUrl!, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
    });
    const chainId = Number(((await response.json()) as { result: string }).result);
    const dataDir = mkdtempSync(join(tmpdir(), 'careledger-besu-'));
    const descriptor = await deployConsortium({
      rpcUrl: rpcUrl!,
      chainId,
      deployerKey: privateKey!,
      dataDir,
      members: [{ orgId: `besu-test-${randomUUID()}`, roles: ['HOSPITAL'], signer: new Wallet(privateKey!).address as Hex }],
    });
    const ledger = await connectLedger({ kind: 'evm', ...descriptor, privateKey: privateKey!, pollingIntervalMs: 250 });
    return {
      port: ledger.anchors,
      chainId,
      contract: descriptor.contracts.AnchorRegistry,
      close: async () => {
        await ledger.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  });
});
