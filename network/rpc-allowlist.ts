// The JSON-RPC methods the dev chain serves to anyone on the host: reads, gas estimates and
// already-signed transactions. Signed transactions are safe to relay because the contracts check
// who signed them. Everything else anvil offers (unlocked-account sends, impersonation, state and
// time cheats, mining control, snapshots, debug and personal namespaces) would let any local
// process forge a member's anchors and votes or stop the node's anchoring, so it is refused.

const READ_ONLY_METHODS = new Set([
  'eth_chainId',
  'net_version',
  'web3_clientVersion',
  'eth_syncing',
  'eth_blockNumber',
  'eth_gasPrice',
  'eth_maxPriorityFeePerGas',
  'eth_feeHistory',
  'eth_getBalance',
  'eth_getCode',
  'eth_getStorageAt',
  'eth_getTransactionCount',
  'eth_call',
  'eth_estimateGas',
  'eth_getLogs',
  'eth_getBlockByNumber',
  'eth_getBlockByHash',
  'eth_getTransactionByHash',
  'eth_getTransactionReceipt',
  'eth_newFilter',
  'eth_newBlockFilter',
  'eth_getFilterChanges',
  'eth_getFilterLogs',
  'eth_uninstallFilter',
  'eth_sendRawTransaction',
]);

export function isPublicRpcMethod(method: unknown): boolean {
  return typeof method === 'string' && READ_ONLY_METHODS.has(method);
}
