// Receipts on demand: a version's journal row, its batch, and the batch's tree (rebuilt from the
// journal and kept in a small cache, since receipts are asked for in bursts per batch).

import { MerkleTree } from '../crypto/merkle.js';
import { buildProvenance } from '../receipts/provenance.js';
import { issueReceipt } from '../receipts/issue.js';
import type { Receipt } from '../receipts/format.js';
import type { ReceiptSource } from '../store/ports.js';
import type { FhirResource, ReceiptStatus } from '../store/service.js';
import type { BatchedVersion, ReceiptRecord, ReceiptRecords } from './ports.js';

const TREE_CACHE_SIZE = 8;

export class ReceiptService implements ReceiptSource {
  private readonly trees = new Map<number, MerkleTree>();

  constructor(
    private readonly records: ReceiptRecords,
    /** Seconds a client should wait before asking again for a receipt still pending. */
    private readonly retryAfterSeconds: number,
    private readonly organizationName?: string,
  ) {}

  receipt(type: string, id: string, versionId: string): ReceiptStatus {
    const version = Number(versionId);
    const row = Number.isSafeInteger(version) ? this.records.version(type, id, version) : undefined;
    if (!row) return { status: 'pending', retryAfterSeconds: this.retryAfterSeconds };
    const receipt = this.issue(type, id, row);
    return receipt ? { status: 'anchored', receipt } : { status: 'pending', retryAfterSeconds: this.retryAfterSeconds };
  }

  /** Provenance resources for every anchored version of `Type/id`, oldest first. */
  provenanceFor(type: string, id: string): FhirResource[] {
    const out: FhirResource[] = [];
    for (const row of this.records.versions(type, id)) {
      const receipt = this.issue(type, id, row);
      if (receipt) out.push(buildProvenance(receipt, { id: provenanceId(type, id, row.versionId), organizationName: this.organizationName }));
    }
    return out;
  }

  /** The versions of one batch, for the receipt feed; see ReceiptRecords.batchVersions. */
  batchVersions(batchSeq: number, afterJournalSeq: number, limit: number): BatchedVersion[] {
    return this.records.batchVersions(batchSeq, afterJournalSeq, limit);
  }

  private issue(type: string, id: string, row: ReceiptRecord): Receipt | null {
    if (!row.batch) return null;
    return issueReceipt(
      {
        type,
        id,
        versionId: String(row.versionId),
        digest: row.digest,
        salt: row.salt,
        leafIndex: row.journalSeq - row.batch.firstJournalSeq,
      },
      this.tree(row.batch.seq),
      row.batch.anchor,
    );
  }

  private tree(batchSeq: number): MerkleTree {
    const cached = this.trees.get(batchSeq);
    if (cached) {
      this.trees.delete(batchSeq);
      this.trees.set(batchSeq, cached);
      return cached;
    }
    const tree = MerkleTree.build(this.records.batchLeaves(batchSeq));
    this.trees.set(batchSeq, tree);
    if (this.trees.size > TREE_CACHE_SIZE) this.trees.delete(this.trees.keys().next().value!);
    return tree;
  }
}

/** Anchor Provenance ids are derived, so the same version always has the same Provenance. */
function provenanceId(type: string, id: string, versionId: number): string {
  return `anchor-${type}-${id}-${versionId}`.slice(0, 64);
}
