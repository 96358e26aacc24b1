// The environment of an in-process dev member node joined to a deployed consortium chain: what
// the multi-member tests and benches start their nodes with, differing only in the org, its
// data dir and a few settings (batch age, a fixed port, linked member URLs).

import type { ChainDescriptor } from '../../gateway/ledger/ports.js';

export function memberNodeEnv(deployed: Pick<ChainDescriptor, 'rpcUrl' | 'chainId' | 'contracts'>, orgId: string, dataDir: string, env: Record<string, string> = {}): Record<string, string> {
  return {
    PORT: '0',
    DATA_DIR: dataDir,
    CARELEDGER_MODE: 'dev',
    CARELEDGER_ORG_ID: orgId,
    LOG_LEVEL: 'warn',
    CHAIN_RPC_URL: deployed.rpcUrl,
    CHAIN_ID: String(deployed.chainId),
    CHAIN_CONTRACTS: JSON.stringify(deployed.contracts),
    ...env,
  };
}
