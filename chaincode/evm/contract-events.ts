// Test helper: the events a receipt carries, decoded with one contract's ABI, in log order.
import type { Interface, TransactionReceipt } from 'ethers';
import { normalize } from './revert-assertions.js';

export function eventsOf(receipt: TransactionReceipt | null, contract: Interface): { name: string; args: unknown[] }[] {
  if (!receipt) throw new Error('no receipt');
  return receipt.logs.flatMap((log) => {
    const parsed = contract.parseLog(log);
    return parsed ? [{ name: parsed.name, args: normalize([...parsed.args]) }] : [];
  });
}

export function event(name: string, ...args: unknown[]): { name: string; args: unknown[] } {
  return { name, args: normalize(args) };
}
