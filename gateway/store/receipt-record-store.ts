// What a receipt is built from, read from SQLite (anchoring's ReceiptRecords port): a version's
// journal row, the batch whose journal range covers it and where that batch was anchored.

import type { BatchedVersion, ReceiptRecord, ReceiptRecords } from '../anchoring/ports.js';
import type { Hex } from '../ledger/ports.js';
import type { Db } from './database.js';

interface VersionRow {
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

export class SqliteReceiptRecordStore implements ReceiptRecords {
  private readonly statements;

  constructor(db: Db) {
    // The batch holding a journal row is the one whose seq range covers it (last_seq is unique
    // and indexed, so this is one index probe).
    const columns = `v.version_id, j.digest, j.salt, j.seq AS journal_seq, b.first_seq, b.seq AS batch_seq, b.status, b.root,
      b.leaf_count, b.prev_root, b.tx_hash, b.block_number, b.block_time, b.chain_id, b.contract, b.member, b.submitter`;
    const from = `resource_versions v JOIN journal j ON j.seq = v.journal_seq
      LEFT JOIN batches b ON b.seq = (SELECT seq FROM batches WHERE last_seq >= j.seq ORDER BY last_seq LIMIT 1)`;
    this.statements = {
      version: db.prepare(`SELECT ${columns} FROM ${from} WHERE v.type = ? AND v.id = ? AND v.version_id = ?`),
      versions: db.prepare(`SELECT ${columns} FROM ${from} WHERE v.type = ? AND v.id = ? ORDER BY v.version_id`),
      leaves: db.prepare(
        'SELECT j.leaf FROM batches b JOIN journal j ON j.seq BETWEEN b.first_seq AND b.last_seq WHERE b.seq = ? ORDER BY j.seq',
      ),
      batchVersions: db.prepare(
        `SELECT j.seq, j.type, j.id, j.version_id FROM batches b JOIN journal j ON j.seq BETWEEN b.first_seq AND b.last_seq
         WHERE b.seq = ? AND j.seq > ? ORDER BY j.seq LIMIT ?`,
      ),
    };
  }

  version(type: string, id: string, versionId: number): ReceiptRecord | undefined {
    const row = this.statements.version.get(type, id, versionId) as VersionRow | undefined;
    return row && toRecord(row);
  }

  versions(type: string, id: string): ReceiptRecord[] {
    return (this.statements.versions.all(type, id) as VersionRow[]).map(toRecord);
  }

  batchLeaves(batchSeq: number): Buffer[] {
    return (this.statements.leaves.all(batchSeq) as Array<{ leaf: Buffer }>).map((row) => row.leaf);
  }

  batchVersions(batchSeq: number, afterJournalSeq: number, limit: number): BatchedVersion[] {
    const rows = this.statements.batchVersions.all(batchSeq, afterJournalSeq, limit) as Array<{
      seq: number;
      type: string;
      id: string;
      version_id: number;
    }>;
    return rows.map((row) => ({ journalSeq: row.seq, type: row.type, id: row.id, versionId: row.version_id }));
  }
}

function toRecord(row: VersionRow): ReceiptRecord {
  const record: ReceiptRecord = { versionId: row.version_id, digest: row.digest, salt: row.salt, journalSeq: row.journal_seq };
  if (row.status !== 'anchored' || row.batch_seq === null || row.first_seq === null) return record;
  record.batch = {
    seq: row.batch_seq,
    firstJournalSeq: row.first_seq,
    anchor: {
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
    },
  };
  return record;
}

function hex(buffer: Buffer): Hex {
  return `0x${buffer.toString('hex')}`;
}
