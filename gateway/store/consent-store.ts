// The consent capability's tables in SQLite (schema/consent.ts), behind the ports the capability
// declares (gateway/consent/consent-tables.ts). Every statement is prepared once; the methods are
// async only so that a replicated store can implement the same ports.

import type {
  CompartmentErasure,
  ConsentTables,
  EmergencyOutbox,
  GrantScopeTable,
  MemberJtiTable,
  PatientKeyTable,
  PatientTokenTable,
  PendingEmergency,
  StoredGrant,
  StoredPatientKey,
} from '../consent/consent-tables.js';
import type { Db } from './database.js';
import { flushSearchIndex } from './deferred-index.js';
import type { Vault } from './vault.js';

/** The consent tables of a node database; `vault` is the one the resource store seals with. */
export function openConsentTables(db: Db, vault: Pick<Vault, 'shred' | 'isShredded'>): ConsentTables {
  return {
    patientKeys: new SqlitePatientKeyTable(db),
    patientTokens: new SqlitePatientTokenTable(db),
    grants: new SqliteGrantScopeTable(db),
    memberJtis: new SqliteMemberJtiTable(db),
    emergencyOutbox: new SqliteEmergencyOutbox(db),
    erasure: new SqliteCompartmentErasure(db, vault),
  };
}

interface PatientKeyRow {
  patient_id: string;
  address: string;
  custody: StoredPatientKey['custody'];
  sealed_key: Buffer | null;
}

class SqlitePatientKeyTable implements PatientKeyTable {
  private readonly statements;

  constructor(db: Db) {
    this.statements = {
      all: db.prepare('SELECT patient_id, address, custody, sealed_key FROM consent_patients'),
      one: db.prepare('SELECT patient_id, address, custody, sealed_key FROM consent_patients WHERE patient_id = ?'),
      insert: db.prepare('INSERT INTO consent_patients (patient_id, address, custody, sealed_key, created_at) VALUES (?, ?, ?, ?, ?)'),
      remove: db.prepare('DELETE FROM consent_patients WHERE patient_id = ?'),
    };
  }

  async all(): Promise<StoredPatientKey[]> {
    return (this.statements.all.all() as PatientKeyRow[]).map(toPatientKey);
  }

  async get(patientId: string): Promise<StoredPatientKey | null> {
    const row = this.statements.one.get(patientId) as PatientKeyRow | undefined;
    return row ? toPatientKey(row) : null;
  }

  async insert(key: StoredPatientKey, createdAt: number): Promise<void> {
    this.statements.insert.run(key.patientId, key.address, key.custody, key.sealedKey, createdAt);
  }

  async remove(patientId: string): Promise<void> {
    this.statements.remove.run(patientId);
  }
}

function toPatientKey(row: PatientKeyRow): StoredPatientKey {
  return { patientId: row.patient_id, address: row.address, custody: row.custody, sealedKey: row.sealed_key };
}

class SqlitePatientTokenTable implements PatientTokenTable {
  private readonly statements;

  constructor(db: Db) {
    this.statements = {
      insert: db.prepare('INSERT INTO consent_patient_tokens (token_hash, patient_id, issued_by, expires_at) VALUES (?, ?, ?, ?)'),
      lookup: db.prepare('SELECT patient_id, expires_at FROM consent_patient_tokens WHERE token_hash = ?'),
      revoke: db.prepare('DELETE FROM consent_patient_tokens WHERE patient_id = ?'),
      purge: db.prepare('DELETE FROM consent_patient_tokens WHERE expires_at <= ?'),
    };
  }

  async insert(tokenHash: string, patientId: string, issuedBy: string, expiresAt: number): Promise<void> {
    this.statements.insert.run(tokenHash, patientId, issuedBy, expiresAt);
  }

  async lookup(tokenHash: string): Promise<{ patientId: string; expiresAt: number } | null> {
    const row = this.statements.lookup.get(tokenHash) as { patient_id: string; expires_at: number } | undefined;
    return row ? { patientId: row.patient_id, expiresAt: row.expires_at } : null;
  }

  async removePatient(patientId: string): Promise<void> {
    this.statements.revoke.run(patientId);
  }

  async removeExpired(now: number): Promise<void> {
    this.statements.purge.run(now);
  }
}

interface GrantRow {
  grant_id: string;
  patient_id: string;
  scope_json: string;
  consent_id: string | null;
  tx_hash: string | null;
}

class SqliteGrantScopeTable implements GrantScopeTable {
  private readonly statements;

  constructor(db: Db) {
    this.statements = {
      all: db.prepare('SELECT grant_id, patient_id, scope_json, consent_id, tx_hash FROM consent_grants ORDER BY created_at, rowid'),
      insert: db.prepare(
        'INSERT INTO consent_grants (grant_id, patient_id, scope_json, scope_hash, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
      ),
      attach: db.prepare('UPDATE consent_grants SET consent_id = ?, tx_hash = ? WHERE grant_id = ?'),
      remove: db.prepare('DELETE FROM consent_grants WHERE grant_id = ?'),
      removePatient: db.prepare('DELETE FROM consent_grants WHERE patient_id = ?'),
    };
  }

  async all(): Promise<StoredGrant[]> {
    return (this.statements.all.all() as GrantRow[]).map((row) => ({
      grantId: row.grant_id,
      patientId: row.patient_id,
      scopeJson: row.scope_json,
      consentId: row.consent_id,
      txHash: row.tx_hash,
    }));
  }

  async insert(grant: { grantId: string; patientId: string; scopeJson: string; scopeHash: string }, createdAt: number): Promise<void> {
    this.statements.insert.run(grant.grantId, grant.patientId, grant.scopeJson, grant.scopeHash, createdAt);
  }

  async attach(grantId: string, consentId: string, txHash: string): Promise<void> {
    this.statements.attach.run(consentId, txHash, grantId);
  }

  async remove(grantId: string): Promise<void> {
    this.statements.remove.run(grantId);
  }

  async removePatient(patientId: string): Promise<void> {
    this.statements.removePatient.run(patientId);
  }
}

class SqliteMemberJtiTable implements MemberJtiTable {
  private readonly statements;

  constructor(db: Db) {
    this.statements = {
      claim: db.prepare('INSERT INTO consent_member_jti (issuer, jti, expires_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING'),
      purge: db.prepare('DELETE FROM consent_member_jti WHERE expires_at <= ?'),
    };
  }

  async claim(issuer: string, jti: string, expiresAt: number): Promise<boolean> {
    return this.statements.claim.run(issuer, jti, expiresAt).changes === 1;
  }

  async removeExpired(nowSeconds: number): Promise<void> {
    this.statements.purge.run(nowSeconds);
  }
}

class SqliteEmergencyOutbox implements EmergencyOutbox {
  private readonly statements;

  constructor(db: Db) {
    this.statements = {
      insert: db.prepare(
        'INSERT INTO consent_emergency_outbox (accessor, patient_address, reason_hash, audit_event_id, created_at) VALUES (?, ?, ?, ?, ?)',
      ),
      pending: db.prepare('SELECT seq, accessor, patient_address, reason_hash FROM consent_emergency_outbox WHERE tx_hash IS NULL ORDER BY seq'),
      sent: db.prepare('UPDATE consent_emergency_outbox SET tx_hash = ?, block_number = ? WHERE seq = ?'),
      byAudit: db.prepare('SELECT tx_hash, block_number FROM consent_emergency_outbox WHERE audit_event_id = ?'),
    };
  }

  async add(event: { accessor: string; patientAddress: string; reasonHash: string; auditEventId: string }, createdAt: number): Promise<void> {
    this.statements.insert.run(event.accessor, event.patientAddress, event.reasonHash, event.auditEventId, createdAt);
  }

  async pending(): Promise<PendingEmergency[]> {
    const rows = this.statements.pending.all() as Array<{ seq: number; accessor: string; patient_address: string; reason_hash: string }>;
    return rows.map((row) => ({ seq: row.seq, accessor: row.accessor, patientAddress: row.patient_address, reasonHash: row.reason_hash }));
  }

  async markSent(seq: number, txHash: string, blockNumber: number | null): Promise<void> {
    this.statements.sent.run(txHash, blockNumber, seq);
  }

  async sentFor(auditEventId: string): Promise<{ txHash: string | null; blockNumber: number | null } | null> {
    const row = this.statements.byAudit.get(auditEventId) as { tx_hash: string | null; block_number: number | null } | undefined;
    return row ? { txHash: row.tx_hash, blockNumber: row.block_number } : null;
  }
}

/**
 * Reads the resource store's tables (resource_current, resource_versions, the search tables) and the
 * vault's: erasure is the one writer outside the resource store that must change them, and it
 * must change them together with the key shred.
 */
class SqliteCompartmentErasure implements CompartmentErasure {
  private readonly erasure;

  constructor(
    private readonly db: Db,
    private readonly vault: Pick<Vault, 'shred' | 'isShredded'>,
  ) {
    const inCompartment = `SELECT c.type, c.id FROM resource_current c JOIN resource_versions v
      ON v.type = c.type AND v.id = c.id AND v.version_id = c.version_id WHERE v.compartment = ?`;
    // Every search table: the clear dates and quantities of an erased patient go with the hashes.
    const purgeIndex = ['search_index', 'search_date', 'search_quantity'].map((table) =>
      db.prepare(`DELETE FROM ${table} WHERE (type, id) IN (${inCompartment})`),
    );
    const retireCurrent = db.prepare(`UPDATE resource_current SET deleted = 1 WHERE (type, id) IN (${inCompartment})`);
    this.erasure = db.transaction((compartment: string) => {
      this.vault.shred(compartment);
      for (const statement of purgeIndex) statement.run(compartment);
      retireCurrent.run(compartment);
    });
  }

  async isErased(compartment: string): Promise<boolean> {
    return this.vault.isShredded(compartment);
  }

  async erase(compartment: string): Promise<void> {
    // Rows still pending for the compartment's resources go in first, so the purge takes them too.
    flushSearchIndex(this.db);
    this.erasure(compartment);
  }
}
