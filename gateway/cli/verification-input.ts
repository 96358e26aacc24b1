// What the payer-side verify commands (verify, verify-claim) share: a failure that means "could
// not verify" (exit 2), never "invalid", and reading the files a payer hands them.

import { readFileSync } from 'node:fs';
import { TrustMismatchError } from '../receipts/trust-root.js';

/** Usage errors, a missing or unreadable input, an unreachable chain: exit 2, one line, nothing on stdout. */
export class CannotVerify extends Error {}

export function readInputText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new CannotVerify(`cannot read the ${what} from ${path}: ${errorMessage(error)}`);
  }
}

export function readInputJson(path: string, what: string): unknown {
  const text = readInputText(path, what);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CannotVerify(`the ${what} in ${path} is not JSON: ${errorMessage(error)}`);
  }
}

/** A trust mismatch says itself; any other failure to read the chain is "could not verify". */
export function chainUnreadable(error: unknown, rpcUrl: string): Error {
  return error instanceof TrustMismatchError ? error : new CannotVerify(`cannot read chain ${rpcUrl}: ${errorMessage(error)}`);
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
