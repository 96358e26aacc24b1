// Test assertions on custom errors: the exact error name and every argument.
import type { Interface } from 'ethers';
import { expect } from 'vitest';
import { decodeRevert } from '../../gateway/ledger/evm/revert.js';

export async function expectRevert(action: Promise<unknown>, contract: Interface, name: string, args: unknown[] = []): Promise<void> {
  let error: unknown;
  try {
    await action;
  } catch (caught) {
    error = caught;
  }
  expect(error, `expected ${name} but the call succeeded`).toBeDefined();
  const decoded = decodeRevert(error, contract);
  expect(decoded, `expected ${name}, got: ${String(error)}`).not.toBeNull();
  expect({ name: decoded!.name, args: normalize([...decoded!.args]) }).toEqual({ name, args: normalize(args) });
}

/** The error `action` rejects with, for a test that looks past the revert's name; throws when it succeeds. */
export async function failureOf(action: Promise<unknown>): Promise<unknown> {
  try {
    await action;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to revert');
}

/** Addresses and hashes compare case-insensitively; numbers compare as bigint. */
export function normalize(values: unknown[]): unknown[] {
  return values.map((v) => {
    if (typeof v === 'string') return v.toLowerCase();
    if (typeof v === 'number') return BigInt(v);
    if (Array.isArray(v)) return normalize(v);
    return v;
  });
}
