// One in-process hospital node on an embedded anvil chain with the consortium deployed for the
// claims tests and benches: the hospital (signing with the node's own member key) plus the
// members a caller names (payers, another hospital, a licensing board), which is all they differ in.

import { join } from 'node:path';
import { loadConfig } from '../../gateway/config.js';
import { loadNodeKeys } from '../../gateway/keys/node-keys.js';
import type { Hex } from '../../gateway/ledger/ports.js';
import { type RunningNode, startNode } from '../../gateway/node.js';
import { type BootstrapMember, type DeployResult, deployConsortium } from '../../network/deploy.js';
import { type EmbeddedChain, startEmbeddedChain } from '../../network/embedded-chain.js';
import { memberNodeEnv } from './member-node-env.js';

export interface ClaimsNodeOptions {
  /** A temp dir the caller removes: the chain lives in `chain/`, the node in `node/`. */
  dir: string;
  hospitalOrgId: string;
  /** Every member besides the hospital. */
  members: BootstrapMember[];
  /** How long a batch waits before it is anchored: short, so evidence is anchored soon. */
  batchMaxAgeMs: number;
}

export interface ClaimsNode {
  chain: EmbeddedChain;
  node: RunningNode;
  contracts: DeployResult['contracts'];
}

export async function startClaimsNode(options: ClaimsNodeOptions): Promise<ClaimsNode> {
  const { dir, hospitalOrgId, members, batchMaxAgeMs } = options;
  const chain = await startEmbeddedChain({ dataDir: join(dir, 'chain') });
  try {
    const keys = loadNodeKeys({ dataDir: join(dir, 'node'), allowGenerate: true });
    const deployed = await deployConsortium({
      rpcUrl: chain.rpcUrl,
      chainId: chain.chainId,
      deployerKey: chain.accounts[0]!.privateKey,
      members: [{ orgId: hospitalOrgId, roles: ['HOSPITAL'], signer: keys.memberWallet.address as Hex }, ...members],
      dataDir: join(dir, 'chain'),
    });
    const node = await startNode(loadConfig(memberNodeEnv(deployed, hospitalOrgId, join(dir, 'node'), { BATCH_MAX_AGE_MS: String(batchMaxAgeMs) })));
    return { chain, node, contracts: deployed.contracts };
  } catch (error) {
    await chain.stop();
    throw error;
  }
}
