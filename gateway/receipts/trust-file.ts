// The consortium trust file: the one thing a verifier takes on faith, obtained out of band. It
// pins the chain (id and genesis hash) and the registry addresses, so a receipt's own
// `anchor.contract` and `anchor.chainId` are claims to compare, never inputs. Pure: parsing,
// serialization and the fingerprint people compare by phone or letter.
import { canonicalBytes } from '../crypto/canonical.js';
import { sha256 } from '../crypto/digest.js';
import { LedgerKindError, parseLedgerKind } from '../ledger/ledger-kind.js';
import type { Hex, LedgerKind } from '../ledger/ports.js';

export const TRUST_FORMAT = 'careledger-trust/1';

export interface TrustFile {
  format: typeof TRUST_FORMAT;
  /** Ledger kind, read as CHAIN_KIND is; only EVM chains (Besu, the embedded anvil) so far. */
  ledger: LedgerKind;
  chainId: number;
  /** Hash of block 0: chain ids are reused (every anvil is 31337), genesis hashes are not. */
  genesisHash: Hex;
  /** Registry addresses by contract name, lower-case hex. */
  contracts: { ConsortiumRegistry: Hex; AnchorRegistry: Hex; [name: string]: Hex };
  /** Block of ConsortiumRegistry's first event (its deployment): membership history starts here. */
  membershipFromBlock: number;
  /** A label the consortium gives itself; optional, and covered by the fingerprint like the rest. */
  consortium?: string;
}

export class TrustFileError extends Error {}

const HASH_HEX = /^0x[0-9a-f]{64}$/;
const ADDRESS_HEX = /^0x[0-9a-f]{40}$/;
const CONTRACT_NAME = /^[A-Z][A-Za-z0-9]{0,63}$/;
const KEYS = ['format', 'ledger', 'chainId', 'genesisHash', 'contracts', 'membershipFromBlock', 'consortium'];
const REQUIRED_CONTRACTS = ['ConsortiumRegistry', 'AnchorRegistry'] as const;

function fail(path: string, problem: string): never {
  throw new TrustFileError(`Invalid trust file: ${path} ${problem} (format ${TRUST_FORMAT}, see docs/receipts.md section 4.1)`);
}

function object(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, 'must be a JSON object');
  return value as Record<string, unknown>;
}

function integer(value: unknown, path: string, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) fail(path, `must be an integer >= ${min}`);
  return value;
}

function ledgerOf(value: unknown): LedgerKind {
  try {
    return parseLedgerKind(value, '$.ledger');
  } catch (error) {
    if (error instanceof LedgerKindError) throw new TrustFileError(`Invalid trust file: ${error.message} (format ${TRUST_FORMAT}, see docs/receipts.md section 4.1)`);
    throw error;
  }
}

/** Strict parse of a trust file (JSON text or a parsed value). Throws TrustFileError naming the field. */
export function parseTrustFile(json: unknown): TrustFile {
  let value = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json);
    } catch {
      fail('$', 'is not valid JSON');
    }
  }
  const t = object(value, '$');
  for (const key of Object.keys(t)) if (!KEYS.includes(key)) fail(`$.${key}`, `is not a trust file field (allowed: ${KEYS.join(', ')})`);
  if (t.format !== TRUST_FORMAT) fail('$.format', `must be "${TRUST_FORMAT}"`);
  const ledger = ledgerOf(t.ledger);
  const chainId = integer(t.chainId, '$.chainId', 1);
  if (typeof t.genesisHash !== 'string' || !HASH_HEX.test(t.genesisHash)) fail('$.genesisHash', 'must be 0x followed by 64 lower-case hex digits');
  const raw = object(t.contracts, '$.contracts');
  const contracts: Record<string, Hex> = {};
  for (const [name, address] of Object.entries(raw)) {
    if (!CONTRACT_NAME.test(name)) fail(`$.contracts.${name}`, 'is not a contract name');
    if (typeof address !== 'string' || !ADDRESS_HEX.test(address)) fail(`$.contracts.${name}`, 'must be 0x followed by 40 lower-case hex digits');
    contracts[name] = address as Hex;
  }
  for (const name of REQUIRED_CONTRACTS) if (contracts[name] === undefined) fail(`$.contracts.${name}`, 'is missing');
  const membershipFromBlock = integer(t.membershipFromBlock, '$.membershipFromBlock', 0);
  if (t.consortium !== undefined && (typeof t.consortium !== 'string' || t.consortium.length === 0 || t.consortium.length > 200)) {
    fail('$.consortium', 'must be a non-empty string of at most 200 characters');
  }
  return {
    format: TRUST_FORMAT,
    ledger,
    chainId,
    genesisHash: t.genesisHash as Hex,
    contracts: contracts as TrustFile['contracts'],
    membershipFromBlock,
    ...(t.consortium !== undefined ? { consortium: t.consortium as string } : {}),
  };
}

/** The file as written: indented JSON for people to read; the fingerprint does not depend on layout. */
export function serializeTrustFile(trust: TrustFile): string {
  return `${JSON.stringify(parseTrustFile(trust), null, 2)}\n`;
}

/** SHA-256 (hex) of the trust file's RFC 8785 canonical JSON: equal files have equal fingerprints
 * whatever their whitespace or member order, so two members' exports can be compared. */
export function trustFingerprint(trust: TrustFile): string {
  return sha256(canonicalBytes(parseTrustFile(trust))).toString('hex');
}
