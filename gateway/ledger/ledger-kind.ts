// The one reading of a ledger kind, wherever it is written down (CHAIN_KIND, dev.json, a
// consortium or trust file), so every place refuses a kind this node cannot run in the same words.
import { LEDGER_KINDS, type LedgerKind } from './ports.js';

export class LedgerKindError extends Error {}

/** `value` as a ledger kind; `source` says where it was read, for the error. */
export function parseLedgerKind(value: unknown, source: string): LedgerKind {
  const known = LEDGER_KINDS.map((kind) => `"${kind}"`).join(' or ');
  if (value === 'fabric') {
    throw new LedgerKindError(`${source} must be ${known}: the Fabric backend is not built yet (Besu and the embedded dev chain are "evm")`);
  }
  if (typeof value !== 'string' || !(LEDGER_KINDS as readonly string[]).includes(value)) {
    throw new LedgerKindError(`${source} must be ${known}, got ${JSON.stringify(value)}`);
  }
  return value as LedgerKind;
}
