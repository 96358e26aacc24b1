import { FetchRequest, JsonRpcProvider, Network, type PerformActionRequest } from 'ethers';

export interface EvmProviderOptions {
  rpcUrl: string;
  chainId: number;
  /** How often to poll for new blocks while waiting for a receipt; Besu QBFT seals every 2 s. */
  pollingIntervalMs?: number;
  /**
   * Deadline for one JSON-RPC round trip (a read, an estimate, a broadcast, one receipt poll).
   * ethers' own default is 5 minutes: a chain that is hung rather than down would stall every
   * caller that long. Transactions keep their longer confirmation wait (TxSender), made of many
   * such round trips.
   */
  requestTimeoutMs?: number;
}

export const DEFAULT_CHAIN_REQUEST_TIMEOUT_MS = 10_000;

/**
 * Estimates gas against the latest block instead of the node's default 'pending' one, the block
 * every read and pre-flight call of the ledger ports uses.
 */
class LatestStateProvider extends JsonRpcProvider {
  override getRpcRequest(req: PerformActionRequest): null | { method: string; args: unknown[] } {
    const request = super.getRpcRequest(req);
    if (req.method === 'estimateGas' && request) return { method: request.method, args: [...request.args, 'latest'] };
    return request;
  }
}

/**
 * One provider per node. The network is static so ethers does not call eth_chainId before every
 * request; `connectEvmLedger` checks the chain id once instead.
 */
export function createEvmProvider(options: EvmProviderOptions): JsonRpcProvider {
  const network = Network.from(options.chainId);
  const request = new FetchRequest(options.rpcUrl);
  request.timeout = options.requestTimeoutMs ?? DEFAULT_CHAIN_REQUEST_TIMEOUT_MS;
  return new LatestStateProvider(request, network, {
    staticNetwork: network,
    pollingInterval: options.pollingIntervalMs ?? 500,
    // One request per HTTP call: no batch stall timer on every read, and an error belongs to one call.
    batchMaxCount: 1,
  });
}
