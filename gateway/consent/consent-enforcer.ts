// Decides one member request about one patient and writes its AuditEvent. The decision reads only
// memory (patient address map, grant cache, scopes); the AuditEvent is durable before any data
// leaves, and a break-glass read also queues its EmergencyAccessed event for the chain.
// Break-glass is for emergency treatment only: purpose ETREAT, a reason that says something
// (stated-reason.ts), the EMERGENCY role; the caller confirms the patient exists before `allow`,
// which is where a patient without an address gets one.

import { OperationOutcomeError, forbidden } from '@medplum/core';
import { keccak256, hexlify, randomBytes, concat, toUtf8Bytes } from 'ethers';
import { MemberRole, type Hex } from '../ledger/ports.js';
import type { FhirResource } from '../store/service.js';
import type { AccessLog } from './access-log.js';
import type { AccessInteraction } from './audit-event.js';
import { REFUSAL_TEXT, type UsableGrant, selectGrants } from './consent-decision.js';
import { READ_ACTION } from './consent-scope.js';
import type { EmergencyLog } from './emergency-log.js';
import type { GrantCache } from './grant-cache.js';
import type { GrantScopes } from './grant-scopes.js';
import type { MemberPrincipal } from './member-authenticator.js';
import type { PatientKeys } from './patient-keys.js';
import type { PurposeCode } from './purpose-of-use.js';
import { checkStatedReason } from './stated-reason.js';

/** The only purpose of use a break-glass read may state. */
export const BREAK_GLASS_PURPOSE: PurposeCode = 'ETREAT';

export type Decision =
  | { kind: 'grants'; grants: UsableGrant[] }
  | { kind: 'break-glass'; reason: string }
  | { kind: 'refused'; text: string };

export interface AuditedAccess {
  principal: MemberPrincipal;
  interaction: AccessInteraction;
  patientId?: string;
  entities: string[];
  query?: string;
  counts?: { matched: number; returned: number };
}

export class ConsentEnforcer {
  constructor(
    private readonly keys: PatientKeys,
    private readonly cache: GrantCache,
    private readonly scopes: GrantScopes,
    private readonly log: AccessLog,
    private readonly emergency: EmergencyLog,
    private readonly now: () => number = Date.now,
  ) {}

  /** What the principal may do with this patient's data right now. Memory only. */
  decide(principal: MemberPrincipal, patientId: string, resourceType: string): Decision {
    if (principal.breakGlassReason !== undefined) {
      const glass = breakGlassCheck(principal);
      return glass.ok ? { kind: 'break-glass', reason: glass.reason } : refused(glass.problem);
    }
    const address = this.keys.addressOf(patientId);
    if (!address) return refused(REFUSAL_TEXT['no-grant']);
    const selection = selectGrants(this.cache.grantsFor(address), this.scopes.scopeOf, {
      member: principal.memberId,
      practitionerHash: principal.practitionerHash,
      purpose: principal.purpose,
      action: READ_ACTION,
      resourceType,
      now: Math.floor(this.now() / 1000),
    });
    return selection.ok ? { kind: 'grants', grants: selection.grants } : refused(REFUSAL_TEXT[selection.refusal]);
  }

  /** Audits a refusal and throws the 403 the member gets. */
  async refuse(access: AuditedAccess, text: string): Promise<never> {
    await this.deny(access, text);
    throw refusal(text);
  }

  /** Audits a refusal of part of a request (versions of another patient) without ending it. */
  async deny(access: AuditedAccess, text: string): Promise<void> {
    await this.log.record({ ...base(access), outcome: 'denied', outcomeText: text, grantIds: [] });
  }

  /** Audits a request that failed before a decision (unknown resource, erased patient). */
  async failed(access: AuditedAccess, text: string): Promise<void> {
    await this.log.record({ ...base(access), outcome: 'not-found', outcomeText: text, grantIds: [] });
  }

  /** Audits an allowed access; for break-glass also queues the on-chain emergency event. */
  async allow(access: AuditedAccess, decision: Exclude<Decision, { kind: 'refused' }>, grantIds: Hex[]): Promise<void> {
    if (decision.kind === 'grants') {
      await this.log.record({ ...base(access), outcome: 'allowed', grantIds });
      return;
    }
    const salt = hexlify(randomBytes(32)) as Hex;
    // Salted: a short reason ("cardiac arrest") would otherwise be found by hashing a dictionary.
    const reasonHash = keccak256(concat([salt, toUtf8Bytes(decision.reason)])) as Hex;
    const auditEvent = await this.log.record({
      ...base(access),
      outcome: 'allowed',
      grantIds: [],
      breakGlass: { reason: decision.reason, salt, reasonHash },
    });
    // The on-chain event names the patient by address; a patient without one gets a custodial key
    // now. The view has confirmed the patient exists: no key is ever made for an id nobody holds.
    const patientAddress = (await this.keys.ensureCustodial(access.patientId!)).address;
    await this.emergency.enqueue({ accessor: access.principal.memberId, patientAddress, reasonHash, auditEventId: auditEvent.id! });
  }
}

/** Whether the principal's break-glass claim (if any) would be honoured, and its recorded reason. */
export function breakGlassCheck(principal: MemberPrincipal): { ok: true; reason: string } | { ok: false; problem: string } {
  const reason = checkStatedReason(principal.breakGlassReason);
  if (!reason.ok) return { ok: false, problem: `Break-glass access needs a stated reason (break_glass_reason): ${reason.problem}` };
  if (principal.purpose !== BREAK_GLASS_PURPOSE) {
    return { ok: false, problem: `Break-glass access is for emergency treatment: state purpose ${BREAK_GLASS_PURPOSE}, not ${principal.purpose}` };
  }
  if ((principal.roles & MemberRole.EMERGENCY) === 0) return { ok: false, problem: 'Break-glass access needs the EMERGENCY role in the consortium' };
  return { ok: true, reason: reason.reason };
}

/** The 403 a member gets; the same body whatever was refused, so the text is the only signal. */
export function refusal(text: string): OperationOutcomeError {
  return new OperationOutcomeError({ ...forbidden, issue: [{ severity: 'error', code: 'forbidden', details: { text }, diagnostics: text }] });
}

/** The patient id a resource belongs to (its vault compartment), if any. */
export function patientIdOf(resource: FhirResource, compartmentOf: (r: FhirResource) => string | undefined): string | undefined {
  const compartment = compartmentOf(resource);
  return compartment?.startsWith('Patient/') ? compartment.slice('Patient/'.length) : undefined;
}

function refused(text: string): Decision {
  return { kind: 'refused', text };
}

function base(access: AuditedAccess) {
  const { principal } = access;
  return {
    interaction: access.interaction,
    purpose: principal.purpose,
    member: { memberId: principal.memberId, orgId: principal.orgId },
    practitionerId: principal.practitionerId,
    ...(access.patientId ? { patient: `Patient/${access.patientId}` } : {}),
    entities: access.entities,
    ...(access.query !== undefined ? { query: access.query } : {}),
    ...(access.counts ? { counts: access.counts } : {}),
  };
}
