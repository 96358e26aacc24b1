// Receipts on demand: a version's journal row, its batch, and the batch's tree (rebuilt from the
// journal and kept in a small cache, since receipts are asked for in bursts per batch).

import { MerkleTree } from '../crypto/merkle.js';
import type { AnchorRecord, Hex } from '../ledger/ports.js';
import { buildProvenance } from '../receipts/provenance.js';
import { issueReceipt } from '../receipts/issue.js';
import type { Receipt } from '../receipts/format.js';
import type { ReceiptSource } from '../store/resource-store.js';
import type { Db } from '../store/database.js';
import type { FhirResource, ReceiptStatus } from '../store/service.js';

interface JournalRow {
  version_id: number;
  digest: Buffer;
  salt: Buffer;
  journal_seq: number;
  first_seq: number | null;
  batch_seq: number | null;
  status: string | null;
  root: Buffer | null;
  leaf_count: number | null;
  prev_root: Buffer | null;
  tx_hash: string | null;
  block_number: number | null;
  block_time: number | null;
  chain_id: number | null;
  contract: string | null;
  member: string | null;
  submitter: string | null;
}

const TREE_CACHE_SIZE = 8;

export class ReceiptService implements ReceiptSource {
  private readonly trees = new Map<number, MerkleTree>();
  private readonly statements;

  constructor(
    db: Db,
    /** Seconds a client should wait before asking again for a receipt still pending. */
    private readonly retryAfterSeconds: number,
    private readonly organizationName?: string,
  ) {
    // The batch holding a journal row is the one whose seq range covers it (last_seq is unique
    // and indexed, so this is one index probe).
    const columns = `v.version_id, j.digest, j.salt, j.seq AS journal_seq, b.first_seq, b.seq AS batch_seq, b.status, b.root,
      b.leaf_count, b.prev_root, b.tx_hash, b.block_number, b.block_time, b.chain_id, b.contract, b.member, b.submitter`;
    const from = `resource_versions v JOIN journal j ON j.seq = v.journal_seq
      LEFT JOIN batches b ON b.seq = (SELECT seq FROM batches WHERE last_seq >= j.seq ORDER BY last_seq LIMIT 1)`;
    this.statements = {
      version: db.prepare(`SELECT ${columns} FROM ${from} WHERE v.type = ? AND v.id = ? AND v.version_id = ?`),
      versions: db.prepare(`SELECT ${columns} FROM ${from} WHERE v.type = ? AND v.id = ? ORDER BY v.version_id`),
      leaves: db.prepare('SELECT leaf FROM journal WHERE seq BETWEEN ? AND ? ORDER BY seq'),
      range: db.prepare('SELECT first_seq, last_seq FROM batches WHERE seq = ?'),
    };
  }

  receipt(type: string, id: string, versionId: string): ReceiptStatus {
    const version = Number(versionId);
    const row = Number.isSafeInteger(version) ? (this.statements.version.get(type, id, version) as JournalRow | undefined) : undefined;
    if (!row) return { status: 'pending', retryAfterSeconds: this.retryAfterSeconds };
    const receipt = this.issue(type, id, row);
    return receipt ? { status: 'anchored', receipt } : { status: 'pending', retryAfterSeconds: this.retryAfterSeconds };
  }

  /** Provenance resources for every anchored version of `Type/id`, oldest first. */
  provenanceFor(type: string, id: string): FhirResource[] {
    const rows = this.statements.versions.all(type, id) as JournalRow[];
    const out: FhirResource[] = [];
    for (const row of rows) {
      const receipt = this.issue(type, id, row);
      if (receipt) out.push(buildProvenance(receipt, { id: provenanceId(type, id, row.version_id), organizationName: this.organizationName }));
    }
    return out;
  }

  private issue(type: string, id: string, row: JournalRow): Receipt | null {
    if (row.status !== 'anchored' || row.batch_seq === null || row.first_seq === null) return null;
    const tree = this.tree(row.batch_seq);
    const anchor: AnchorRecord = {
      member: row.member as Hex,
      submitter: row.submitter as Hex,
      sequence: BigInt(row.batch_seq),
      root: hex(row.root!),
      leafCount: row.leaf_count!,
      prevRoot: hex(row.prev_root!),
      txHash: row.tx_hash as Hex,
      blockNumber: row.block_number!,
      blockTime: row.block_time!,
      chainId: row.chain_id!,
      contract: row.contract as Hex,
    };
    return issueReceipt(
      { type, id, versionId: String(row.version_id), digest: row.digest, salt: row.salt, leafIndex: row.journal_seq - row.first_seq },
      tree,
      anchor,
    );
  }

  private tree(batchSeq: number): MerkleTree {
    const cached = this.trees.get(batchSeq);
    if (cached) {
      this.trees.delete(batchSeq);
      this.trees.set(batchSeq, cached);
      return cached;
    }
    const range = this.statements.range.get(batchSeq) as { first_seq: number; last_seq: number };
    const leaves = (this.statements.leaves.all(range.first_seq, range.last_seq) as Array<{ leaf: Buffer }>).map((row) => row.leaf);
    const tree = MerkleTree.build(leaves);
    this.trees.set(batchSeq, tree);
    if (this.trees.size > TREE_CACHE_SIZE) this.trees.delete(this.trees.keys().next().value!);
    return tree;
  }
}

/** Anchor Provenance ids are derived, so the same version always has the same Provenance. */
export function provenanceId(type: string, id: string, versionId: number): string {
  return `anchor-${type}-${id}-${versionId}`.slice(0, 64);
}

function hex(buffer: Buffer): Hex {
  return `0x${buffer.toString('hex')}`;
}
