// Picks the ledger implementation from configuration, firefly-style: one connector per chain kind.
// Adding a chain means adding its config type to LedgerConfig and its connector to the map.
import { type EvmLedgerConfig, connectEvmLedger } from './evm/connect.js';
import type { AnchorPort, MemberPort } from './ports.js';

export type LedgerConfig = EvmLedgerConfig;
export type LedgerKind = LedgerConfig['kind'];

export interface Ledger {
  anchors: AnchorPort;
  members: MemberPort;
  close(): Promise<void>;
}

type Connector<K extends LedgerKind> = (config: Extract<LedgerConfig, { kind: K }>) => Promise<Ledger>;

const connectors: { [K in LedgerKind]: Connector<K> } = {
  evm: connectEvmLedger,
};

export function connectLedger<K extends LedgerKind>(config: Extract<LedgerConfig, { kind: K }>): Promise<Ledger> {
  const connect: Connector<K> = connectors[config.kind];
  return connect(config);
}
