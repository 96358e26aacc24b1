// An embedded chain of its own (anvil, registries deployed) and an in-process node that joins it
// as its one hospital, the way a member joins Besu: for the tests that stop, hang or restart the
// chain under a running node.

import { join } from 'node:path';
import { loadConfig } from '../../gateway/config.js';
import { loadNodeKeys } from '../../gateway/keys/node-keys.js';
import type { Hex } from '../../gateway/ledger/ports.js';
import { startNode, type RunningNode } from '../../gateway/node.js';
import { deployConsortium } from '../../network/deploy.js';
import { startEmbeddedChain, type EmbeddedChain } from '../../network/embedded-chain.js';

export interface NodeOnOwnChain {
  chain: EmbeddedChain;
  /** Where the chain keeps its state: a restart on it resumes the same chain. */
  chainDir: string;
  node: RunningNode;
}

export async function startNodeOnOwnChain(
  dir: string,
  orgId: string,
  options: { chainPort?: number; env?: Record<string, string> } = {},
): Promise<NodeOnOwnChain> {
  const chainDir = join(dir, 'chain');
  const nodeDir = join(dir, 'node');
  const chain = await startEmbeddedChain({ dataDir: chainDir, ...(options.chainPort ? { port: options.chainPort } : {}) });
  const keys = loadNodeKeys({ dataDir: nodeDir, allowGenerate: true });
  const deployed = await deployConsortium({
    rpcUrl: chain.rpcUrl,
    chainId: chain.chainId,
    deployerKey: chain.accounts[0]!.privateKey,
    members: [{ orgId, roles: ['HOSPITAL'], signer: keys.memberWallet.address as Hex }],
    dataDir: chainDir,
  });
  const node = await startNode(
    loadConfig({
      DATA_DIR: nodeDir,
      PORT: '0',
      LOG_LEVEL: 'silent',
      CARELEDGER_MODE: 'dev',
      CARELEDGER_ORG_ID: orgId,
      BATCH_MAX_AGE_MS: '100',
      CHAIN_RPC_URL: deployed.rpcUrl,
      CHAIN_ID: String(deployed.chainId),
      CHAIN_CONTRACTS: JSON.stringify(deployed.contracts),
      ...options.env,
    }),
  );
  return { chain, chainDir, node };
}
