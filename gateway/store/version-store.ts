// Current and history versions of resources in SQLite: resource_versions holds every version
// (sealed), resource_current the newest per resource.

import type { Db } from './database.js';
import type { CurrentVersion, VersionRecord, VersionStore } from './ports.js';

interface CurrentRow {
  version_id: number;
  deleted: number;
  last_updated: string;
  digest: Buffer;
}

interface VersionRow {
  version_id: number;
  last_updated: string;
  deleted: number;
  compartment: string;
  sealed: Buffer | null;
}

export class SqliteVersionStore implements VersionStore {
  private readonly statements;

  constructor(db: Db) {
    this.statements = {
      current: db.prepare('SELECT version_id, deleted, last_updated, digest FROM resource_current WHERE type = ? AND id = ?'),
      version: db.prepare(
        'SELECT version_id, last_updated, deleted, compartment, sealed FROM resource_versions WHERE type = ? AND id = ? AND version_id = ?',
      ),
      history: db.prepare(
        'SELECT version_id, last_updated, deleted, compartment, sealed FROM resource_versions WHERE type = ? AND id = ? ORDER BY version_id DESC',
      ),
      insertVersion: db.prepare(
        `INSERT INTO resource_versions (type, id, version_id, last_updated, deleted, compartment, sealed, digest, journal_seq)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      upsertCurrent: db.prepare(
        `INSERT INTO resource_current (type, id, version_id, deleted, last_updated, digest) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(type, id) DO UPDATE SET version_id = excluded.version_id, deleted = excluded.deleted,
           last_updated = excluded.last_updated, digest = excluded.digest`,
      ),
    };
  }

  current(type: string, id: string): CurrentVersion | undefined {
    const row = this.statements.current.get(type, id) as CurrentRow | undefined;
    return row && { versionId: row.version_id, deleted: row.deleted !== 0, lastUpdated: row.last_updated, digest: row.digest };
  }

  version(type: string, id: string, versionId: number): VersionRecord | undefined {
    const row = this.statements.version.get(type, id, versionId) as VersionRow | undefined;
    return row && record(row);
  }

  history(type: string, id: string): VersionRecord[] {
    return (this.statements.history.all(type, id) as VersionRow[]).map(record);
  }

  put(type: string, id: string, version: VersionRecord & { digest: Buffer; journalSeq: number }): void {
    const deleted = version.deleted ? 1 : 0;
    this.statements.insertVersion.run(
      type,
      id,
      version.versionId,
      version.lastUpdated,
      deleted,
      version.compartment,
      version.sealed,
      version.digest,
      version.journalSeq,
    );
    this.statements.upsertCurrent.run(type, id, version.versionId, deleted, version.lastUpdated, version.digest);
  }
}

function record(row: VersionRow): VersionRecord {
  return {
    versionId: row.version_id,
    lastUpdated: row.last_updated,
    deleted: row.deleted !== 0,
    compartment: row.compartment,
    sealed: row.sealed,
  };
}
