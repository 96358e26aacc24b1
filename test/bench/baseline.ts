// The baseline the seed documents describe: every resource hashed and anchored in its own
// transaction. To give it its best case it skips validation and storage, signs with explicit
// nonces and a fixed gas limit, and keeps many transactions in flight, so it runs as fast as
// the chain accepts anchors.

import { JsonRpcProvider, Wallet, ZeroHash } from 'ethers';
import { leafHash, newSalt, resourceDigest, versionKey } from '../../gateway/crypto/digest.js';
import { anchorRegistryInterface } from '../../gateway/ledger/evm/contracts.js';
import { convertR4toR5 } from '../../fhir-adapters/conversion/index.js';

export interface BaselineResult {
  resources: number;
  seconds: number;
  resourcesPerSec: number;
  transactions: number;
}

const GAS_LIMIT = 300_000n;

export async function runPerResourceBaseline(options: {
  rpcUrl: string;
  chainId: number;
  anchorRegistry: string;
  privateKey: string;
  resources: Array<{ resourceType: string; id: string }>;
  inFlight: number;
}): Promise<BaselineResult> {
  const provider = new JsonRpcProvider(options.rpcUrl, options.chainId, { staticNetwork: true, batchMaxCount: 1 });
  const wallet = new Wallet(options.privateKey, provider);
  try {
    const started = performance.now();
    let nonce = await provider.getTransactionCount(wallet.address, 'pending');
    let prevRoot = ZeroHash;
    const pending = new Set<Promise<void>>();
    const hashes: string[] = new Array(options.resources.length);
    for (let i = 0; i < options.resources.length; i++) {
      const r4 = options.resources[i]!;
      const { resource } = convertR4toR5(r4);
      const leaf = `0x${leafHash(newSalt(), versionKey(r4.resourceType, r4.id, '1'), resourceDigest(resource)).toString('hex')}`;
      const data = anchorRegistryInterface.encodeFunctionData('anchor', [BigInt(i + 1), leaf, 1, prevRoot]);
      prevRoot = leaf;
      const signed = await wallet.signTransaction({
        to: options.anchorRegistry,
        data,
        nonce: nonce++,
        gasLimit: GAS_LIMIT,
        gasPrice: 0n,
        chainId: options.chainId,
        type: 0,
      });
      const index = i;
      const task = provider.send('eth_sendRawTransaction', [signed]).then((hash: string) => {
        hashes[index] = hash;
        pending.delete(task);
      });
      pending.add(task);
      if (pending.size >= options.inFlight) await Promise.race(pending);
    }
    await Promise.all(pending);
    // Done when the last transaction is mined and succeeded: it could only succeed after every
    // earlier sequence did (the contract rejects gaps).
    const last = await receiptOf(provider, hashes[hashes.length - 1]!);
    if (last.status !== '0x1') throw new Error('the last baseline anchor failed: an earlier one did not land');
    const seconds = (performance.now() - started) / 1000;
    return { resources: options.resources.length, seconds, resourcesPerSec: options.resources.length / seconds, transactions: hashes.length };
  } finally {
    provider.destroy();
  }
}

async function receiptOf(provider: JsonRpcProvider, hash: string): Promise<{ status: string }> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const receipt = (await provider.send('eth_getTransactionReceipt', [hash])) as { status: string } | null;
    if (receipt) return receipt;
    if (Date.now() > deadline) throw new Error(`baseline transaction ${hash} was not mined within 120 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
