// Tells "the chain did not answer" (hung, down, unreachable: try again later) apart from every
// other failure of a chain call (a revert, a bad argument: a bug or bad input), so callers can
// answer 504 with Retry-After for the first and let the rest surface as they are.

/** ethers' codes for a request that got no usable answer, and Node's for a connection that failed. */
const UNAVAILABLE_CODES = new Set([
  'TIMEOUT',
  'NETWORK_ERROR',
  'SERVER_ERROR',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  // The embedded chain's IPC socket is gone: anvil is down.
  'ENOENT',
]);

export function isChainUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && UNAVAILABLE_CODES.has(code);
}
