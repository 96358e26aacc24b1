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
  /** Times anvil dropped a transaction and it was sent again. */
  anvilStalls: number;
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
    const firstNonce = nonce;
    const signedAll: string[] = [];
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
      signedAll.push(signed);
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
    const resend = { address: wallet.address, firstNonce, signed: signedAll, count: 0 };
    const last = await receiptOf(provider, hashes[hashes.length - 1]!, resend);
    if (last.status !== '0x1') throw new Error('the last baseline anchor failed: an earlier one did not land');
    const seconds = (performance.now() - started) / 1000;
    return {
      resources: options.resources.length,
      seconds,
      resourcesPerSec: options.resources.length / seconds,
      transactions: hashes.length,
      anvilStalls: resend.count,
    };
  } finally {
    provider.destroy();
  }
}

/**
 * anvil 1.7 sometimes drops one of many transactions sent at once from one account, and every
 * later nonce then waits forever. After 5 s without a new block the transaction at the account's
 * next nonce is sent again; the result says how often that happened.
 */
async function receiptOf(
  provider: JsonRpcProvider,
  hash: string,
  resend: { address: string; firstNonce: number; signed: string[]; count: number },
): Promise<{ status: string }> {
  const deadline = Date.now() + 120_000;
  let lastBlock = -1;
  let lastProgress = Date.now();
  for (;;) {
    const receipt = (await provider.send('eth_getTransactionReceipt', [hash])) as { status: string } | null;
    if (receipt) return receipt;
    const block = Number(await provider.send('eth_blockNumber', []));
    if (block !== lastBlock) {
      lastBlock = block;
      lastProgress = Date.now();
    } else if (Date.now() - lastProgress > 5_000) {
      const next = await provider.getTransactionCount(resend.address, 'latest');
      const raw = resend.signed[next - resend.firstNonce];
      if (raw) await provider.send('eth_sendRawTransaction', [raw]).catch(() => undefined);
      resend.count++;
      lastProgress = Date.now();
    }
    if (Date.now() > deadline) throw new Error(`baseline transaction ${hash} was not mined within 120 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
