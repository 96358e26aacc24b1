// The fingerprint registrar as a node runs it: on when the chain has a ClaimRegistry and the node
// holds the consortium's claims key (CLAIMS_KEY_FILE or <DATA_DIR>/keys/claims.key), off (null)
// otherwise. What the claims capability composes.
import type { FastifyBaseLogger } from 'fastify';
import type { ReceiptService } from '../anchoring/receipt-service.js';
import type { ClaimFingerprintPort, Hex } from '../ledger/ports.js';
import type { ResourceService } from '../store/service.js';
import { claimsKeyIfPresent, claimsKeyPath } from './claims-key.js';
import { type FingerprintRegistrar, startFingerprintRegistrar } from './fingerprint-registrar.js';

export interface NodeFingerprints extends FingerprintRegistrar {
  /** Where registration failures are logged once the app's logger exists (the capability's start). */
  useLogger(log: FastifyBaseLogger): void;
}

export interface NodeFingerprintContext {
  dataDir: string;
  chain: { claimFingerprints: ClaimFingerprintPort | null; memberId: Hex };
  store: Pick<ResourceService, 'read' | 'vread'>;
  receipts: Pick<ReceiptService, 'batchVersions'>;
}

export function nodeFingerprintRegistrar(context: NodeFingerprintContext): NodeFingerprints | null {
  const port = context.chain.claimFingerprints;
  const claimsKey = claimsKeyIfPresent(claimsKeyPath(context.dataDir));
  if (!port || !claimsKey) return null;
  let log: FastifyBaseLogger | undefined;
  const registrar = startFingerprintRegistrar({
    batchVersions: (batchSeq, after, limit) => context.receipts.batchVersions(batchSeq, after, limit),
    store: context.store,
    fingerprints: port,
    memberId: context.chain.memberId,
    claimsKey,
    onError: (error, batchSeq) => {
      if (log) log.error({ err: error, batchSeq }, 'registering claim-line fingerprints failed');
      else console.error(`registering the claim-line fingerprints of batch ${batchSeq} failed: ${error instanceof Error ? error.message : String(error)}`);
    },
  });
  return { ...registrar, useLogger: (logger) => (log = logger) };
}


/** Why fingerprints are off, for the capability's health and start-up log; null when they are on. */
export function fingerprintsOffReason(context: Pick<NodeFingerprintContext, 'dataDir' | 'chain'>): string | null {
  if (!context.chain.claimFingerprints) return 'the chain has no ClaimRegistry';
  const path = claimsKeyPath(context.dataDir);
  if (!claimsKeyIfPresent(path)) return `no claims key at ${path}: careledger claims-key import FILE (the consortium's key)`;
  return null;
}
