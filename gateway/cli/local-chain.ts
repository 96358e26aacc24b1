// The chain a member node in $DATA_DIR is configured for (its dev.json, or CHAIN_RPC_URL +
// CHAIN_CONTRACTS as the node reads them), or null when there is none. What `trust export`
// writes down and what `verify` pins when it is given no trust file.
import { chainTarget, type ChainTarget } from './chain-target.js';

export function localChain(): ChainTarget | null {
  try {
    return chainTarget();
  } catch {
    return null;
  }
}

export function noLocalChainReason(): string {
  return `no member node here: DATA_DIR (${process.env.DATA_DIR ?? './data'}) has no dev.json and CHAIN_RPC_URL + CHAIN_CONTRACTS are not set`;
}
