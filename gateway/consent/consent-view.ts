// The ResourceService a consortium member's request sees: the node's store, read-only, showing
// only what an active grant covers (or everything of one patient on a stated break-glass read by
// an EMERGENCY member). Searches must name one patient and are filtered resource by resource, so
// `total` and paging count only covered resources. Every version is decided by its own patient
// compartment: a re-assigned resource has versions of two patients, and each patient's grants
// (and access log) answer for their own versions only. Every call is audited, allowed or refused.
// A member that could not read a resource cannot learn whether it exists either: a missing,
// erased or non-patient resource gets the same 403 as one no consent covers (a break-glass
// reader, who may read any patient's data, gets the true 404/410).

import { OperationOutcomeError, forbidden, getStatus } from '@medplum/core';
import type { Hex } from '../ledger/ports.js';
import { compartmentOf } from '../store/search-index.js';
import type {
  FhirResource,
  ReceiptStatus,
  ResourceService,
  SearchQuery,
  SearchResult,
  StoredVersion,
  WriteOp,
  WriteResult,
} from '../store/service.js';
import type { AccessInteraction } from './audit-event.js';
import { REFUSAL_TEXT, grantCovering } from './consent-decision.js';
import { type AuditedAccess, type ConsentEnforcer, type Decision, breakGlassCheck, patientIdOf, refusal } from './consent-enforcer.js';
import { READ_ACTION } from './consent-scope.js';
import type { MemberPrincipal } from './member-authenticator.js';

const PAGE = 500;
const READ_ONLY = 'Consortium members may only read and search patient data they are granted';
/** What a member hears for data nothing lets it see, whether or not that data exists. */
const NOT_SHARED = REFUSAL_TEXT['no-grant'];
const CONCEALED_STATUSES = new Set([404, 410]);

export class ConsentView implements ResourceService {
  constructor(
    private readonly store: ResourceService,
    private readonly principal: () => Promise<MemberPrincipal>,
    private readonly enforcer: ConsentEnforcer,
  ) {}

  async read(type: string, id: string): Promise<StoredVersion> {
    return this.single('read', `${type}/${id}`, () => this.store.read(type, id));
  }

  async vread(type: string, id: string, versionId: string): Promise<StoredVersion> {
    return this.single('vread', `${type}/${id}/_history/${versionId}`, () => this.store.vread(type, id, versionId));
  }

  async history(type: string, id: string): Promise<StoredVersion[]> {
    const principal = await this.principal();
    const access: AuditedAccess = { principal, interaction: 'history-instance', entities: [`${type}/${id}`] };
    const versions = await this.loadOrAudit(access, () => this.store.history(type, id));
    const byPatient = new Map<string, StoredVersion[]>();
    for (const version of versions) {
      const patientId = version.deleted ? undefined : patientIdOf(version.resource, compartmentOf);
      if (patientId) byPatient.set(patientId, [...(byPatient.get(patientId) ?? []), version]);
    }
    const shown = new Set<StoredVersion>();
    let lastRefusal = NOT_SHARED;
    for (const [patientId, own] of byPatient) {
      const perPatient: AuditedAccess = { ...access, patientId, entities: own.map((v) => `${type}/${id}/_history/${v.versionId}`) };
      const decision = await this.decidedFor(perPatient, patientId, type);
      const covered = decision.kind === 'refused' ? [] : own.filter((v) => coveringGrant(decision, v.resource) !== null);
      if (decision.kind === 'refused' || covered.length === 0) {
        lastRefusal = decision.kind === 'refused' ? decision.text : REFUSAL_TEXT.category;
        await this.enforcer.deny(perPatient, lastRefusal);
        continue;
      }
      perPatient.entities = covered.map((v) => `${type}/${id}/_history/${v.versionId}`);
      await this.enforcer.allow(perPatient, decision, grantIdsOf(decision, covered.map((v) => v.resource)));
      for (const version of covered) shown.add(version);
    }
    if (shown.size === 0) {
      if (byPatient.size === 0) await this.enforcer.deny(access, NOT_SHARED);
      throw refusal(byPatient.size === 0 ? NOT_SHARED : lastRefusal);
    }
    return versions.filter((version) => shown.has(version));
  }

  async search(query: SearchQuery): Promise<SearchResult> {
    const principal = await this.principal();
    const access: AuditedAccess = { principal, interaction: 'search-type', entities: [], query: queryString(query) };
    const patientId = searchedPatient(query);
    if (!patientId) {
      return this.enforcer.refuse(access, 'A member search must name exactly one patient: patient=Patient/<id> (or _id=<id> on Patient)');
    }
    access.patientId = patientId;
    const decision = await this.decided(access, patientId, query.type);
    if (decision.kind === 'break-glass') await this.patientExists(access, patientId);
    const matched = await this.loadOrAudit(access, () => this.everything(query));
    const covered = matched.filter(
      (resource) => patientIdOf(resource, compartmentOf) === patientId && coveringGrant(decision, resource) !== null,
    );
    const page = query.summaryCount ? [] : covered.slice(query.offset, query.offset + query.count);
    access.entities = page.map((r) => `${r.resourceType}/${r.id}/_history/${r.meta?.versionId ?? '1'}`);
    access.counts = { matched: matched.length, returned: covered.length };
    await this.enforcer.allow(access, decision, grantIdsOf(decision, covered));
    return { total: covered.length, resources: page };
  }

  async create(): Promise<WriteResult> {
    throw readOnly();
  }

  async update(): Promise<WriteResult> {
    throw readOnly();
  }

  async delete(): Promise<{ versionId: string | null }> {
    throw readOnly();
  }

  async transaction(_ops: WriteOp[]): Promise<WriteResult[]> {
    throw readOnly();
  }

  async receipt(): Promise<ReceiptStatus> {
    throw new OperationOutcomeError({ ...forbidden, issue: [{ severity: 'error', code: 'forbidden', details: { text: 'Receipts are for the hospital and its patients' } }] });
  }

  private async single(interaction: AccessInteraction, reference: string, load: () => Promise<StoredVersion>): Promise<StoredVersion> {
    const principal = await this.principal();
    const access: AuditedAccess = { principal, interaction, entities: [reference] };
    const version = await this.loadOrAudit(access, load);
    const patientId = patientIdOf(version.resource, compartmentOf);
    if (!patientId) return this.enforcer.refuse(access, NOT_SHARED);
    access.patientId = patientId;
    const decision = await this.decided(access, patientId, version.resource.resourceType);
    if (decision.kind === 'break-glass') await this.patientExists(access, patientId);
    const grant = coveringGrant(decision, version.resource);
    if (grant === null) return this.enforcer.refuse(access, 'No consent of this patient covers this data category');
    await this.enforcer.allow(access, decision, grant ? [grant] : []);
    return version;
  }

  private async decided(access: AuditedAccess, patientId: string, resourceType: string): Promise<Exclude<Decision, { kind: 'refused' }>> {
    const decision = this.enforcer.decide(access.principal, patientId, resourceType);
    if (decision.kind === 'refused') return this.enforcer.refuse(access, decision.text);
    return decision;
  }

  /** The decision for one patient's versions of a history; a break-glass read needs the patient to exist. */
  private async decidedFor(access: AuditedAccess, patientId: string, resourceType: string): Promise<Decision> {
    const decision = this.enforcer.decide(access.principal, patientId, resourceType);
    if (decision.kind !== 'break-glass') return decision;
    try {
      await this.store.read('Patient', patientId);
      return decision;
    } catch (error) {
      if (error instanceof OperationOutcomeError && CONCEALED_STATUSES.has(getStatus(error.outcome))) {
        return { kind: 'refused', text: `No patient Patient/${patientId} is held here` };
      }
      throw error;
    }
  }

  /**
   * Break-glass names the patient on chain and may give them a custodial key: only for a patient
   * this node holds. An unknown id is a 404 (audited), and nothing is created.
   */
  private async patientExists(access: AuditedAccess, patientId: string): Promise<void> {
    await this.loadOrAudit(access, () => this.store.read('Patient', patientId));
  }

  /**
   * Runs a store call; a FHIR error (404, 410 erased) is audited before it reaches the member, and
   * shown as the refusal any unreadable data gets unless the member may break the glass.
   */
  private async loadOrAudit<T>(access: AuditedAccess, load: () => Promise<T>): Promise<T> {
    try {
      return await load();
    } catch (error) {
      if (error instanceof OperationOutcomeError && getStatus(error.outcome) < 500) {
        await this.enforcer.failed(access, error.outcome.issue?.[0]?.details?.text ?? `HTTP ${getStatus(error.outcome)}`);
        if (CONCEALED_STATUSES.has(getStatus(error.outcome)) && !breakGlassCheck(access.principal).ok) throw refusal(NOT_SHARED);
      }
      throw error;
    }
  }

  private async everything(query: SearchQuery): Promise<FhirResource[]> {
    const out: FhirResource[] = [];
    for (let offset = 0; ; offset += PAGE) {
      const page = await this.store.search({ ...query, offset, count: PAGE, summaryCount: false });
      out.push(...page.resources);
      if (offset + PAGE >= page.total) return out;
    }
  }
}

/** The grant id covering the resource, '' for a break-glass read, null when nothing covers it. */
function coveringGrant(decision: Exclude<Decision, { kind: 'refused' }>, resource: FhirResource): Hex | '' | null {
  if (decision.kind === 'break-glass') return '';
  return grantCovering(decision.grants, READ_ACTION, resource)?.grant.grantId ?? null;
}

function grantIdsOf(decision: Exclude<Decision, { kind: 'refused' }>, resources: FhirResource[]) {
  if (decision.kind === 'break-glass') return [];
  return [...new Set(resources.map((r) => grantCovering(decision.grants, READ_ACTION, r)!.grant.grantId))];
}

/** The one patient a search is restricted to, or undefined when it names none or several. */
function searchedPatient(query: SearchQuery): string | undefined {
  const named = new Set<string>();
  for (const param of query.params) {
    if (param.code !== 'patient' && param.code !== 'subject' && !(param.code === '_id' && query.type === 'Patient')) continue;
    if (param.modifier || param.value.includes(',')) return undefined;
    if (param.code === '_id') named.add(param.value);
    else if (param.value.startsWith('Patient/')) named.add(param.value.slice('Patient/'.length));
    else if (param.code === 'patient' && !param.value.includes('/')) named.add(param.value);
    else return undefined;
  }
  return named.size === 1 ? [...named][0] : undefined;
}

function queryString(query: SearchQuery): string {
  return query.params.map((p) => `${p.code}${p.modifier ? `:${p.modifier}` : ''}=${p.value}`).join('&');
}

function readOnly(): OperationOutcomeError {
  return new OperationOutcomeError({ ...forbidden, issue: [{ severity: 'error', code: 'forbidden', details: { text: READ_ONLY } }] });
}
