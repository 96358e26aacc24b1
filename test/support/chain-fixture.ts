// Test fixture: one real embedded anvil per test file, in a temp data dir, stopped afterwards.
// Contract tests need anvil's cheats (unlocked signers, evm_increaseTime) that the chain's public
// endpoint refuses, so the fixture's provider goes through an unfiltered relay to anvil's
// owner-only IPC socket; chain.rpcUrl stays the filtered endpoint the node uses.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ContractRunner, type JsonRpcProvider, JsonRpcSigner, type TransactionRequest } from 'ethers';
import { afterAll, beforeAll } from 'vitest';
import { createEvmProvider } from '../../gateway/ledger/evm/provider.js';
import { type DeployOptions, type DeployResult, deployConsortium } from '../../network/deploy.js';
import { type EmbeddedChain, startEmbeddedChain } from '../../network/embedded-chain.js';
import { type FilteredRpcProxy, startFilteredRpcProxy } from '../../network/filtered-rpc-proxy.js';

export interface ChainFixture {
  chain: EmbeddedChain;
  /** Unfiltered: anvil's cheat methods and unlocked accounts work here. */
  provider: JsonRpcProvider;
  dataDir: string;
  /** An anvil-unlocked signer for dev account `index`: anvil assigns nonces itself. */
  signer(index: number): Promise<ContractRunner>;
}

export function useEmbeddedChain(): () => ChainFixture {
  let fixture: ChainFixture | undefined;
  let unfiltered: FilteredRpcProxy | undefined;
  beforeAll(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'careledger-chain-'));
    const chain = await startEmbeddedChain({ dataDir });
    unfiltered = await startFilteredRpcProxy({ ipcPath: chain.ipcPath, allow: () => true });
    const provider = createEvmProvider({ rpcUrl: unfiltered.url, chainId: chain.chainId, pollingIntervalMs: 50 });
    fixture = { chain, provider, dataDir, signer: async (index) => new PreflightSigner(provider, chain.accounts[index]!.address) };
  });
  afterAll(async () => {
    if (!fixture) return;
    fixture.provider.destroy();
    await unfiltered?.close();
    await fixture.chain.stop();
    rmSync(fixture.dataDir, { recursive: true, force: true });
  });
  return () => {
    if (!fixture) throw new Error('the embedded chain fixture is used before beforeAll ran');
    return fixture;
  };
}

/**
 * The registries, deployed on the fixture's chain once per test file at first use: account 0
 * deploys, member i signs as account i + 1.
 */
export function deployedOnce(
  fixture: () => ChainFixture,
  members: Array<Omit<DeployOptions['members'][number], 'signer'>>,
  options: Pick<DeployOptions, 'minCellSizeFloor'> = {},
): () => Promise<DeployResult> {
  let deployed: Promise<DeployResult> | undefined;
  return () => {
    const { chain, dataDir } = fixture();
    deployed ??= deployConsortium({
      rpcUrl: chain.rpcUrl,
      chainId: chain.chainId,
      deployerKey: chain.accounts[0]!.privateKey,
      dataDir,
      ...options,
      members: members.map((member, i) => ({ ...member, signer: chain.accounts[i + 1]!.address })),
    });
    return deployed;
  };
}

/**
 * Sends like the ledger ports do: an eth_call at 'latest' first, so a revert carries its custom
 * error, then a fixed gas limit instead of an estimate (anvil's estimate lags the latest block for a
 * few milliseconds after mining; see TxSender).
 */
class PreflightSigner extends JsonRpcSigner {
  override async sendUncheckedTransaction(tx: TransactionRequest): Promise<string> {
    await this.provider.call({ ...tx, from: this.address, blockTag: 'latest' });
    return super.sendUncheckedTransaction({ ...tx, gasLimit: 10_000_000 });
  }
}
