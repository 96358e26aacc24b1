// Picks the ledger implementation from configuration, firefly-style: one entry per chain kind,
// in production (connectChain) as in tests. Adding a chain means adding its kind to LEDGER_KINDS
// (ports.ts), its config type to LedgerConfig and its entry to the map; nothing outside
// gateway/ledger names an implementation.
import { type EvmLedgerConfig, connectEvmLedger } from './evm/connect.js';
import { type EvmClientOptions, type EvmClientTarget, openEvmClient } from './evm/open-client.js';
import type { Ledger, LedgerClient, LedgerKind } from './ports.js';

export type LedgerConfig = EvmLedgerConfig;
export type LedgerClientTarget = EvmClientTarget;
export type LedgerClientOptions = EvmClientOptions;

interface LedgerImplementation<K extends LedgerKind> {
  /** A node's ledger, signing as its member key; refuses a key that is not a member's signer. */
  connect(config: Extract<LedgerConfig, { kind: K }>): Promise<Ledger>;
  /** The command line's reads (and its signed calls when given a key), without a membership check. */
  open(target: Extract<LedgerClientTarget, { kind: K }>, options?: LedgerClientOptions): Promise<LedgerClient>;
}

const implementations: { [K in LedgerKind]: LedgerImplementation<K> } = {
  evm: { connect: connectEvmLedger, open: openEvmClient },
};

export function connectLedger<K extends LedgerKind>(config: Extract<LedgerConfig, { kind: K }>): Promise<Ledger> {
  const implementation: LedgerImplementation<K> = implementations[config.kind];
  return implementation.connect(config);
}

export function openLedgerClient<K extends LedgerKind>(target: Extract<LedgerClientTarget, { kind: K }>, options?: LedgerClientOptions): Promise<LedgerClient> {
  const implementation: LedgerImplementation<K> = implementations[target.kind];
  return implementation.open(target, options);
}
