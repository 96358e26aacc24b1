// A patient's erasure request. While the custodial key still exists, the patient's active grants
// are revoked on chain (so no node honours them any more); then the patient's vault data key is
// crypto-shredded, which makes every stored version of their data, their Consents, their access
// AuditEvents and their custodial key unreadable for good. The blind search index entries that
// pointed at that data go too. The anchored leaves stay: they are salted hashes and reveal nothing,
// and receipts issued earlier still verify against the chain. The erasure itself is recorded as
// an AuditEvent naming only the patient's pseudonymous address, the staff client and its stated
// reason, anchored like any resource. Erasure is a staff action under its own scope
// (patient-routes.ts): neither Consent scopes nor a patient session are enough.
// The erased resources leave search: their current rows are marked deleted (reads still answer
// 410 from the shredded key), so a page or a count never trips over them. A resource re-assigned
// to another patient keeps its current row and its index entries: only rows whose current
// version sits in the erased compartment go.

import { OperationOutcomeError, gone } from '@medplum/core';
import type { Hex } from '../ledger/ports.js';
import type { ResourceService } from '../store/service.js';
import { type AuditNode, erasureAuditEvent } from './audit-event.js';
import type { CompartmentErasure } from './consent-tables.js';
import type { ConsentService } from './consent-service.js';
import type { GrantScopes } from './grant-scopes.js';
import { compartment, type PatientKeys } from './patient-keys.js';
import type { PatientSessions } from './patient-sessions.js';

export interface ErasureRequest {
  /** The staff client erasing. */
  clientId: string;
  /** Checked by stated-reason.ts before it gets here. */
  reason: string;
}

export interface ErasureResult {
  patient: string;
  revokedGrants: Hex[];
  auditEvent: string;
}

export class PatientErasure {
  constructor(
    private readonly compartments: CompartmentErasure,
    private readonly store: ResourceService,
    private readonly keys: PatientKeys,
    private readonly sessions: PatientSessions,
    private readonly scopes: GrantScopes,
    private readonly consents: ConsentService,
    private readonly node: AuditNode,
    private readonly now: () => number = Date.now,
  ) {}

  async erase(patientId: string, request: ErasureRequest): Promise<ErasureResult> {
    const where = compartment(patientId);
    if (await this.compartments.isErased(where)) throw new OperationOutcomeError(gone);
    await this.store.read('Patient', patientId);
    const record = this.keys.get(patientId);

    const revokedGrants: Hex[] = [];
    if (record?.custody === 'custodial') {
      for (const grant of this.consents.activeGrants(patientId)) {
        await this.consents.revoke(patientId, grant.grantId);
        revokedGrants.push(grant.grantId);
      }
    }

    await this.compartments.erase(where);
    await this.keys.forget(patientId);
    await this.sessions.revokeAll(patientId);
    await this.scopes.removePatient(patientId);

    const audit = await this.store.create(
      erasureAuditEvent({
        recorded: new Date(this.now()),
        node: this.node,
        patientAddress: record?.address ?? null,
        actor: { clientId: request.clientId },
        reason: request.reason,
        revokedGrants,
      }),
    );
    return {
      patient: `Patient/${patientId}`,
      revokedGrants,
      auditEvent: `AuditEvent/${audit.resource.id}/_history/${audit.versionId}`,
    };
  }
}
