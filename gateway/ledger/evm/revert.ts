import { type ErrorDescription, type Interface, isCallException } from 'ethers';

/** The custom error a contract reverted with, or null when `error` carries no decodable revert data. */
export function decodeRevert(error: unknown, contract: Interface): ErrorDescription | null {
  const data = revertData(error);
  if (!data) return null;
  try {
    return contract.parseError(data);
  } catch {
    return null;
  }
}

function revertData(error: unknown): string | null {
  if (isCallException(error) && typeof error.data === 'string' && error.data.length >= 10) return error.data;
  // Some nodes (Besu among them) put the revert data on the JSON-RPC error object instead.
  const nested = (error as { info?: { error?: { data?: unknown } }; error?: { data?: unknown } } | null) ?? {};
  const data = nested.info?.error?.data ?? nested.error?.data;
  return typeof data === 'string' && data.startsWith('0x') && data.length >= 10 ? data : null;
}
