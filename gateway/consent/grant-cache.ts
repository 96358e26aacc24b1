// Every grant on the ledger, in memory, indexed by patient address, kept current from the
// ConsentRegistry's events (grant-sync.ts). A consent check reads only this map: no RPC on the
// read path. Applying an event twice is harmless, so the node can apply its own transactions'
// events at once and meet them again in the next poll.

import type { ConsentChainEvent, ConsentGrantRecord, Hex } from '../ledger/ports.js';

export class GrantCache {
  private readonly byId = new Map<Hex, ConsentGrantRecord>();
  private readonly byPatient = new Map<Hex, Set<Hex>>();
  /** Highest block whose events are all applied; -1 before the first sync. */
  syncedBlock = -1;

  apply(events: readonly ConsentChainEvent[]): void {
    for (const event of events) {
      if (event.kind === 'granted') {
        const known = this.byId.get(event.grant.grantId);
        // The poll can meet a grant again after this node applied its own revocation of it.
        this.byId.set(event.grant.grantId, { ...event.grant, revokedAt: known?.revokedAt ?? event.grant.revokedAt });
        let ids = this.byPatient.get(event.grant.patient);
        if (!ids) this.byPatient.set(event.grant.patient, (ids = new Set()));
        ids.add(event.grant.grantId);
      } else if (event.kind === 'revoked') {
        const grant = this.byId.get(event.grantId);
        if (grant && grant.revokedAt === null) grant.revokedAt = event.blockTime;
      }
    }
  }

  get(grantId: Hex): ConsentGrantRecord | undefined {
    return this.byId.get(grantId.toLowerCase() as Hex);
  }

  grantsFor(patient: Hex): ConsentGrantRecord[] {
    const ids = this.byPatient.get(patient);
    if (!ids) return [];
    return [...ids].map((id) => this.byId.get(id)!);
  }
}
