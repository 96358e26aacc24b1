// One-shot deployment of the consortium registries to an existing chain (the compose file's
// `deploy` service). Reads the bootstrap members from CONSORTIUM_FILE and writes chain.json to
// CHAIN_DATA_DIR; a second run finds the contracts there and changes nothing.
//   CHAIN_RPC_URL, CHAIN_ID, DEPLOYER_KEY_FILE, CONSORTIUM_FILE, CHAIN_DATA_DIR
import { readFileSync } from 'node:fs';
import type { Hex } from '../gateway/ledger/ports.js';
import { type BootstrapMember, deployConsortium } from './deploy.js';

interface ConsortiumFile {
  votingPeriodSeconds?: number;
  members: BootstrapMember[];
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

/** Besu validators take a while to form a QBFT quorum after `docker compose up`. */
async function waitForBlocks(rpcUrl: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(rpcUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] }),
        // A hung node must not hold this loop past its own deadline.
        signal: AbortSignal.timeout(5_000),
      });
      const body = (await response.json()) as { result?: string };
      if (body.result && Number(body.result) > 0) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${rpcUrl} produced no block within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

async function main(): Promise<void> {
  const rpcUrl = required('CHAIN_RPC_URL');
  const chainId = Number(required('CHAIN_ID'));
  const consortium = JSON.parse(readFileSync(required('CONSORTIUM_FILE'), 'utf8')) as ConsortiumFile;
  await waitForBlocks(rpcUrl, 180_000);
  const result = await deployConsortium({
    rpcUrl,
    chainId,
    deployerKey: readFileSync(required('DEPLOYER_KEY_FILE'), 'utf8').trim() as Hex,
    members: consortium.members,
    votingPeriodSeconds: consortium.votingPeriodSeconds,
    dataDir: required('CHAIN_DATA_DIR'),
  });
  console.log(`${result.reused ? 'reused' : 'deployed'} ${JSON.stringify(result.contracts)} on chain ${chainId}`);
}

main().catch((error: unknown) => {
  console.error(`deploy failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
