// The clear scope of each grant this node recorded, keyed by grant id, with the Consent resource
// that documents it. The chain has only the scope's hash; a row is checked against it when written.

import type { Hex } from '../ledger/ports.js';
import type { Db } from '../store/database.js';
import { ensureConsentSchema } from './consent-schema.js';
import { type ConsentScope, scopeHash } from './consent-scope.js';

export interface LocalGrant {
  grantId: Hex;
  patientId: string;
  scope: ConsentScope;
  consentId: string | null;
  txHash: Hex | null;
}

interface Row {
  grant_id: string;
  patient_id: string;
  scope_json: string;
  consent_id: string | null;
  tx_hash: string | null;
}

export class GrantScopes {
  private readonly scopes = new Map<Hex, ConsentScope>();
  private readonly statements;

  constructor(db: Db) {
    ensureConsentSchema(db);
    this.statements = {
      all: db.prepare('SELECT grant_id, patient_id, scope_json, consent_id, tx_hash FROM consent_grants'),
      one: db.prepare('SELECT grant_id, patient_id, scope_json, consent_id, tx_hash FROM consent_grants WHERE grant_id = ?'),
      byPatient: db.prepare('SELECT grant_id, patient_id, scope_json, consent_id, tx_hash FROM consent_grants WHERE patient_id = ? ORDER BY created_at'),
      insert: db.prepare(
        'INSERT INTO consent_grants (grant_id, patient_id, scope_json, scope_hash, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
      ),
      attach: db.prepare('UPDATE consent_grants SET consent_id = ?, tx_hash = ? WHERE grant_id = ?'),
      remove: db.prepare('DELETE FROM consent_grants WHERE grant_id = ?'),
      removePatient: db.prepare('DELETE FROM consent_grants WHERE patient_id = ?'),
    };
    for (const row of this.statements.all.all() as Row[]) this.scopes.set(row.grant_id as Hex, JSON.parse(row.scope_json) as ConsentScope);
  }

  scopeOf = (grantId: Hex): ConsentScope | undefined => this.scopes.get(grantId);

  /** Remembers a grant's scope before it is submitted, so it is enforceable the moment it lands. */
  record(grantId: Hex, patientId: string, scope: ConsentScope): void {
    this.statements.insert.run(grantId, patientId, JSON.stringify(scope), scopeHash(scope), Date.now());
    this.scopes.set(grantId, scope);
  }

  attach(grantId: Hex, consentId: string, txHash: Hex): void {
    this.statements.attach.run(consentId, txHash, grantId);
  }

  get(grantId: Hex): LocalGrant | null {
    const row = this.statements.one.get(grantId) as Row | undefined;
    return row ? toLocal(row) : null;
  }

  forPatient(patientId: string): LocalGrant[] {
    return (this.statements.byPatient.all(patientId) as Row[]).map(toLocal);
  }

  /** Drops a grant whose submission failed. */
  remove(grantId: Hex): void {
    this.statements.remove.run(grantId);
    this.scopes.delete(grantId);
  }

  removePatient(patientId: string): void {
    for (const grant of this.forPatient(patientId)) this.scopes.delete(grant.grantId);
    this.statements.removePatient.run(patientId);
  }
}

function toLocal(row: Row): LocalGrant {
  return {
    grantId: row.grant_id as Hex,
    patientId: row.patient_id,
    scope: JSON.parse(row.scope_json) as ConsentScope,
    consentId: row.consent_id,
    txHash: row.tx_hash as Hex | null,
  };
}
