// What anchoring needs from storage, as narrow interfaces (the SQLite implementations are
// gateway/store/batch-store.ts and gateway/store/receipt-record-store.ts). The batcher and the
// anchorer run in their own loop, off the intake path, and already wait on the chain, so their
// port returns Promises: a store on another machine fits behind it unchanged. The receipt records
// are read synchronously because the resource store serves anchor Provenance inside a search
// (gateway/store/resource-store.ts, ReceiptSource); they follow when that interface does.

import type { AnchorRecord } from '../ledger/ports.js';

/** A journal row not yet in any batch: its salted leaf and when it arrived (epoch ms). */
export interface UnbatchedLeaf {
  journalSeq: number;
  leaf: Buffer;
  receivedAt: number;
}

/** A closed batch: its sequence in the member's anchor log, root and predecessor. */
export interface ClosedBatch {
  seq: number;
  root: Buffer;
  leafCount: number;
  prevRoot: Buffer;
  /** Epoch ms. */
  closedAt: number;
}

/** A batch to record: the contiguous journal range first..last it covers. */
export interface NewBatch extends ClosedBatch {
  firstJournalSeq: number;
  lastJournalSeq: number;
}

/** The newest batch, whatever its status: where the next one continues. */
export interface BatchHead {
  seq: number;
  root: Buffer;
  lastJournalSeq: number;
}

/** Where this member's anchor log continues when the node joined it with an empty journal. */
export interface ChainBase {
  seq: number;
  root: Buffer;
}

/** The counts /health and /metrics show; read synchronously by their gauges. */
export interface AnchoringBacklog {
  /** Journal rows after the newest batch. */
  leavesWaiting(): number;
  closedBatchesWaiting(): number;
  /** 0 when nothing is anchored yet. */
  lastAnchoredSequence(): number;
}

/** The batch log: journal leaves in, closed batches, anchored batches. */
export interface BatchLog extends AnchoringBacklog {
  head(): Promise<BatchHead | undefined>;
  /** Up to `limit` journal rows after `afterJournalSeq`, in seq order. */
  unbatchedLeaves(afterJournalSeq: number, limit: number): Promise<UnbatchedLeaf[]>;
  /** Records a closed batch; fails if its sequence or journal range is already taken. */
  appendBatch(batch: NewBatch): Promise<void>;
  /** The oldest batch not yet anchored. */
  nextClosed(): Promise<ClosedBatch | undefined>;
  /** Batches not yet anchored whose sequence is at most `seq`, oldest first. */
  closedUpTo(seq: number): Promise<ClosedBatch[]>;
  /** Records where batch `seq` landed; false when no closed batch has that sequence and root. */
  markAnchored(seq: number, root: Buffer, record: AnchorRecord, anchoredAt: number): Promise<boolean>;
  chainBase(): Promise<ChainBase | undefined>;
  setChainBase(base: ChainBase): Promise<void>;
}

/** One resource version as its receipt needs it; `batch` only once the batch is anchored. */
export interface ReceiptRecord {
  versionId: number;
  digest: Buffer;
  salt: Buffer;
  journalSeq: number;
  batch?: { seq: number; firstJournalSeq: number; anchor: AnchorRecord };
}

/** A resource version journaled in a batch. */
export interface BatchedVersion {
  journalSeq: number;
  type: string;
  id: string;
  versionId: number;
}

export interface ReceiptRecords {
  version(type: string, id: string, versionId: number): ReceiptRecord | undefined;
  /** Every version of `Type/id`, oldest first. */
  versions(type: string, id: string): ReceiptRecord[];
  /** The leaves of batch `batchSeq` in tree order. */
  batchLeaves(batchSeq: number): Buffer[];
  /** Up to `limit` versions of batch `batchSeq` after `afterJournalSeq`; none for an unknown batch. */
  batchVersions(batchSeq: number, afterJournalSeq: number, limit: number): BatchedVersion[];
}
