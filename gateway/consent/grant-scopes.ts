// The clear scope of each grant this node recorded, keyed by grant id, with the Consent resource
// that documents it. The chain has only the scope's hash; a row is checked against it when written.

import type { Hex } from '../ledger/ports.js';
import type { GrantScopeTable, StoredGrant } from './consent-tables.js';
import { type ConsentScope, scopeHash } from './consent-scope.js';

export interface LocalGrant {
  grantId: Hex;
  patientId: string;
  scope: ConsentScope;
  consentId: string | null;
  txHash: Hex | null;
}

/**
 * Every grant is held in memory (loaded at start, oldest first): the per-read consent decision
 * asks for scopes, and the patient API lists grants, without a round trip to the table.
 */
export class GrantScopes {
  private readonly grants = new Map<Hex, LocalGrant>();

  private constructor(private readonly table: GrantScopeTable) {}

  static async open(table: GrantScopeTable): Promise<GrantScopes> {
    const scopes = new GrantScopes(table);
    for (const stored of await table.all()) scopes.grants.set(stored.grantId as Hex, toLocal(stored));
    return scopes;
  }

  scopeOf = (grantId: Hex): ConsentScope | undefined => this.grants.get(grantId)?.scope;

  /** Remembers a grant's scope before it is submitted, so it is enforceable the moment it lands. */
  async record(grantId: Hex, patientId: string, scope: ConsentScope): Promise<void> {
    await this.table.insert({ grantId, patientId, scopeJson: JSON.stringify(scope), scopeHash: scopeHash(scope) }, Date.now());
    if (!this.grants.has(grantId)) this.grants.set(grantId, { grantId, patientId, scope, consentId: null, txHash: null });
  }

  async attach(grantId: Hex, consentId: string, txHash: Hex): Promise<void> {
    await this.table.attach(grantId, consentId, txHash);
    const grant = this.grants.get(grantId);
    if (grant) this.grants.set(grantId, { ...grant, consentId, txHash });
  }

  get(grantId: Hex): LocalGrant | null {
    return this.grants.get(grantId) ?? null;
  }

  forPatient(patientId: string): LocalGrant[] {
    return [...this.grants.values()].filter((grant) => grant.patientId === patientId);
  }

  /** Drops a grant whose submission failed. */
  async remove(grantId: Hex): Promise<void> {
    await this.table.remove(grantId);
    this.grants.delete(grantId);
  }

  async removePatient(patientId: string): Promise<void> {
    await this.table.removePatient(patientId);
    for (const grant of this.forPatient(patientId)) this.grants.delete(grant.grantId);
  }
}

function toLocal(stored: StoredGrant): LocalGrant {
  return {
    grantId: stored.grantId as Hex,
    patientId: stored.patientId,
    scope: JSON.parse(stored.scopeJson) as ConsentScope,
    consentId: stored.consentId,
    txHash: stored.txHash as Hex | null,
  };
}
