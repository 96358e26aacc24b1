// What both in-page verifiers (receipts, claims) do around their checks: read the trust file the
// user dropped, and read the chain it pins straight from the browser, refusing a chain that is not
// the pinned one. Any failure to read either is "could not verify", said as a sentence with what to
// do next, never "invalid".
import { JsonRpcProvider, Network } from 'ethers';
import { EvmAnchorPort } from '../../ledger/evm/anchor-port.js';
import { EvmVerifierReader } from '../../ledger/evm/verifier-reader.js';
import { TrustFileError, type TrustFile, parseTrustFile } from '../../receipts/trust-file.js';
import { TrustMismatchError, checkPinnedChain } from '../../receipts/trust-root.js';

export interface CannotVerify {
  outcome: 'cannot-verify';
  reason: string;
}

export interface PinnedChain {
  provider: JsonRpcProvider;
  reader: EvmVerifierReader;
  anchors: EvmAnchorPort;
}

/** The pinned trust root from the dropped file, or why it cannot be used. */
export function trustFromFile(text: string): { trust: TrustFile } | CannotVerify {
  try {
    return { trust: parseTrustFile(text) };
  } catch (error) {
    if (error instanceof TrustFileError) return { outcome: 'cannot-verify', reason: `${error.message}. Drop the trust file your consortium gave you (careledger trust export).` };
    throw error;
  }
}

/**
 * Runs `read` against the chain at `rpcUrl` once it is shown to be the pinned one. A chain that
 * cannot be read, or is another chain, makes the answer "could not verify".
 */
export async function onPinnedChain<T>(trust: TrustFile, rpcUrl: string, read: (chain: PinnedChain) => Promise<T>): Promise<T | CannotVerify> {
  const provider = new JsonRpcProvider(rpcUrl, Network.from(trust.chainId), { staticNetwork: true, batchMaxCount: 1 });
  try {
    const reader = new EvmVerifierReader(provider);
    await checkPinnedChain(trust, reader);
    return await read({ provider, reader, anchors: EvmAnchorPort.reader(trust.contracts.AnchorRegistry, trust.chainId, provider) });
  } catch (error) {
    if (error instanceof TrustMismatchError) return { outcome: 'cannot-verify', reason: `${error.message}.` };
    const detail = error instanceof Error ? error.message : String(error);
    return { outcome: 'cannot-verify', reason: `The chain at ${rpcUrl} could not be read (${detail}). Check the chain RPC URL and that it answers from this browser.` };
  } finally {
    provider.destroy();
  }
}
