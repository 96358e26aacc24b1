// Where the cohort commands find the chain: --consortium FILE (the local consortium's
// consortium.json), else CHAIN_RPC_URL + CHAIN_ID + CHAIN_CONTRACTS (as a node is configured),
// else $DATA_DIR/dev.json (a node's data dir), else $DATA_DIR/../consortium.json (the
// researcher's data dir inside a local consortium). Files written before they named their ledger
// kind are EVM chains.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseLedgerKind } from '../ledger/ledger-kind.js';
import type { CohortPort, Hex, LedgerClient, LedgerKind } from '../ledger/ports.js';

export interface ChainTarget {
  kind: LedgerKind;
  rpcUrl: string;
  chainId: number;
  contracts: Record<string, Hex>;
}

export function chainTarget(options: { consortium?: string; dataDir?: string } = {}): ChainTarget {
  if (options.consortium) return fromFile(options.consortium);
  const env = process.env;
  if (env.CHAIN_RPC_URL && env.CHAIN_CONTRACTS) {
    return {
      kind: parseLedgerKind(env.CHAIN_KIND || 'evm', 'CHAIN_KIND'),
      rpcUrl: env.CHAIN_RPC_URL,
      chainId: Number(env.CHAIN_ID ?? 0),
      contracts: JSON.parse(env.CHAIN_CONTRACTS) as Record<string, Hex>,
    };
  }
  const dataDir = resolve(options.dataDir ?? env.DATA_DIR ?? './data');
  for (const candidate of [join(dataDir, 'dev.json'), join(dirname(dataDir), 'consortium.json')]) {
    if (existsSync(candidate)) return fromFile(candidate);
  }
  throw new Error(`no chain configured: pass --consortium FILE, set CHAIN_RPC_URL and CHAIN_CONTRACTS, or run from a node's DATA_DIR (${dataDir})`);
}

function fromFile(path: string): ChainTarget {
  const file = JSON.parse(readFileSync(path, 'utf8')) as { ledger?: unknown; rpcUrl?: string; chainId?: number; contracts?: Record<string, Hex> };
  const kind = parseLedgerKind(file.ledger ?? 'evm', `the ledger of ${path}`);
  if (!file.rpcUrl || !file.chainId || !file.contracts) throw new Error(`${path} does not describe a chain (rpcUrl, chainId, contracts)`);
  return { kind, rpcUrl: file.rpcUrl, chainId: file.chainId, contracts: file.contracts };
}

/** The chain's cohort port, or a clear error when the chain predates CohortRegistry. */
export function cohortsOf(ledger: LedgerClient): CohortPort {
  if (!ledger.cohorts) throw new Error('the chain has no CohortRegistry: redeploy the consortium (network/deploy.ts adds it on restart)');
  return ledger.cohorts;
}
