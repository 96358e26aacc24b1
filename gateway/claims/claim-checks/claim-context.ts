// What every claim check reads: the bundle's resources in the R5 form their receipts cover, which
// of them verified against the pinned chain (with their anchors), and the claim itself. Built once
// by verify-claim.ts after the receipt checks; the checks after them are pure.
import type { AnchorRecord } from '../../ledger/ports.js';
import type { Receipt } from '../../receipts/format.js';
import type { FhirResource } from '../../store/service.js';
import type { ReferenceResolver } from '../claim-fingerprint.js';
import type { Evidence } from '../claim-report.js';
import { keyOf } from '../evidence-index.js';

/** A resource whose receipt verified: where its version sits on the chain. */
export interface AnchoredVersion {
  /** `Type/id/_history/v`. */
  version: string;
  receipt: Receipt;
  anchor: AnchorRecord;
}

export interface ClaimContext {
  /** The Claim in R5 form. */
  claim: FhirResource;
  /** Every resource of the bundle in R5 form, the Claim first. */
  resources: FhirResource[];
  /** Resolves a reference inside the bundle, to the R5 form. */
  resolve: ReferenceResolver;
  /** `Type/id` -> anchor, for the resources whose receipt verified against the pinned chain. */
  anchored: Map<string, AnchoredVersion>;
}

export function anchorEvidence(version: AnchoredVersion): Evidence {
  const { receipt, anchor } = version;
  return {
    resource: version.version,
    leaf: receipt.leaf,
    root: receipt.root,
    member: anchor.member,
    sequence: anchor.sequence.toString(),
    leafIndex: receipt.leafIndex,
    block: anchor.blockNumber,
    blockTime: receipt.anchor.blockTime,
    tx: anchor.txHash,
  };
}

export { keyOf };

export function versionOf(resource: FhirResource): string {
  const v = resource.meta?.versionId;
  return `${keyOf(resource)}${typeof v === 'string' ? `/_history/${v}` : ''}`;
}

