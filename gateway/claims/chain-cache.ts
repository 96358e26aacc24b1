// Memoised chain reads for verifying many resources or claims in one run: an anchor never changes
// once written (member, sequence), and a verifier checking a batch of claims asks for the same
// anchors and fingerprints again and again. A failed read is forgotten, so it is retried.
import type { ClaimFingerprintReader, Hex, VerifierChainReader } from '../ledger/ports.js';
import type { AnchorLookup } from '../receipts/verify.js';

function memo<K, V>(read: (key: K) => Promise<V>, keyOf: (key: K) => string): (key: K) => Promise<V> {
  const cache = new Map<string, Promise<V>>();
  return (key) => {
    const k = keyOf(key);
    let value = cache.get(k);
    if (!value) {
      value = read(key);
      cache.set(k, value);
      value.catch(() => cache.delete(k));
    }
    return value;
  };
}

export function cachedAnchorLookup(lookup: AnchorLookup): AnchorLookup {
  const read = memo(({ member, sequence }: { member: Hex; sequence: bigint }) => lookup(member, sequence), ({ member, sequence }) => `${member.toLowerCase()}#${sequence}`);
  return (member, sequence) => read({ member, sequence });
}

/**
 * Registrations are not immutable (a later duplicate adds one), so the cache lives for one run of
 * the verifier: a report is as of the moment its reads were made.
 */
export function cachedRegistrations(reader: ClaimFingerprintReader): ClaimFingerprintReader {
  return { contract: reader.contract, registrations: memo((fingerprint: Hex) => reader.registrations(fingerprint), (f) => f.toLowerCase()) };
}

/**
 * The verifier's chain reads with today's membership (`memberNow`) read once per member and run:
 * the member check reports it beside every receipt, and a claim's receipts share one member.
 */
export function cachedVerifierReader(reader: VerifierChainReader): VerifierChainReader {
  const memberNow = memo(
    ({ registry, member }: { registry: Hex; member: Hex }) => reader.memberNow(registry, member),
    ({ registry, member }) => `${registry.toLowerCase()}/${member.toLowerCase()}`,
  );
  // Every other read passes through to `reader` (its prototype), whatever the interface grows.
  const cached = Object.create(reader) as VerifierChainReader;
  cached.memberNow = (registry, member) => memberNow({ registry, member });
  return cached;
}
