import { FetchRequest, JsonRpcProvider, Network, type JsonRpcPayload, type JsonRpcResult, type PerformActionRequest } from 'ethers';
import { IpcRpcChannel } from '../../../network/ipc-rpc.js';

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
  /**
   * The embedded chain's IPC socket, for the node that runs it: one hop to anvil. Through the
   * filtering relay (rpcUrl) every round trip would cross the node's own event loop three times,
   * which under intake load stretched anchoring by hundreds of milliseconds.
   */
  ipcPath?: string;
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

/** LatestStateProvider over anvil's IPC socket; the channel's deadline bounds each round trip. */
class IpcLatestStateProvider extends LatestStateProvider {
  constructor(
    private readonly channel: IpcRpcChannel,
    network: Network,
    pollingInterval: number,
  ) {
    super(undefined, network, { staticNetwork: network, pollingInterval, batchMaxCount: 1 });
  }

  override async _send(payload: JsonRpcPayload | Array<JsonRpcPayload>): Promise<Array<JsonRpcResult>> {
    const requests = Array.isArray(payload) ? payload : [payload];
    return (await Promise.all(requests.map((request) => this.channel.request({ ...request })))) as unknown as Array<JsonRpcResult>;
  }

  override destroy(): void {
    this.channel.close();
    super.destroy();
  }
}

/**
 * One provider per node. The network is static so ethers does not call eth_chainId before every
 * request; `connectEvmLedger` checks the chain id once instead.
 */
export function createEvmProvider(options: EvmProviderOptions): JsonRpcProvider {
  const network = Network.from(options.chainId);
  const timeoutMs = options.requestTimeoutMs ?? DEFAULT_CHAIN_REQUEST_TIMEOUT_MS;
  if (options.ipcPath) return new IpcLatestStateProvider(new IpcRpcChannel(options.ipcPath, timeoutMs), network, options.pollingIntervalMs ?? 500);
  const request = new FetchRequest(options.rpcUrl);
  request.timeout = timeoutMs;
  return new LatestStateProvider(request, network, {
    staticNetwork: network,
    pollingInterval: options.pollingIntervalMs ?? 500,
    // One request per HTTP call: no batch stall timer on every read, and an error belongs to one call.
    batchMaxCount: 1,
  });
}
