// Test fixture only: an in-memory ResourceService with the contract's semantics (versions,
// If-Match, If-None-Exist, update-as-create, deletes as versions, history newest first, search
// over _id / _lastUpdated / identifier / patient / subject / target, all-or-nothing
// transactions, pending/anchored receipts). The FHIR HTTP tests run against it; the node runs
// against the SQLite-backed service.

import { randomUUID } from 'node:crypto';
import { badRequest, multipleMatches, notFound, OperationOutcomeError, preconditionFailed } from '@medplum/core';
import type {
  FhirResource,
  ReceiptStatus,
  ResourceService,
  SearchParam,
  SearchQuery,
  SearchResult,
  StoredVersion,
  WriteOp,
  WriteResult,
} from '../../gateway/store/service.js';

interface Reference {
  reference?: string;
}

interface Identifier {
  system?: string;
  value?: string;
}

const DATE_PARTS = /^(eq|gt|ge|lt|le)?(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

/** The instant range [low, high) a FHIR date search value covers, at its own precision. */
function dateRange(value: string): { prefix: string; low: number; high: number } {
  const m = DATE_PARTS.exec(value);
  if (!m) throw new OperationOutcomeError(badRequest(`Invalid date ${value}`));
  const [, prefix = 'eq', y, mo, d, h, mi, s, frac, zone] = m;
  const iso = `${y}-${mo ?? '01'}-${d ?? '01'}T${h ?? '00'}:${mi ?? '00'}:${s ?? '00'}${frac ?? ''}${zone ?? 'Z'}`;
  const low = Date.parse(iso);
  const end = new Date(low);
  if (frac) end.setUTCMilliseconds(end.getUTCMilliseconds() + 1);
  else if (s) end.setUTCSeconds(end.getUTCSeconds() + 1);
  else if (mi) end.setUTCMinutes(end.getUTCMinutes() + 1);
  else if (d) end.setUTCDate(end.getUTCDate() + 1);
  else if (mo) end.setUTCMonth(end.getUTCMonth() + 1);
  else end.setUTCFullYear(end.getUTCFullYear() + 1);
  return { prefix, low, high: end.getTime() };
}

function matchesDate(instant: string | undefined, value: string): boolean {
  if (!instant) return false;
  const t = Date.parse(instant);
  const { prefix, low, high } = dateRange(value);
  switch (prefix) {
    case 'gt':
      return t >= high;
    case 'ge':
      return t >= low;
    case 'lt':
      return t < low;
    case 'le':
      return t < high;
    default:
      return t >= low && t < high;
  }
}

function matchesIdentifier(identifiers: unknown, value: string): boolean {
  if (!Array.isArray(identifiers)) return false;
  const bar = value.indexOf('|');
  return (identifiers as Identifier[]).some((identifier) => {
    if (bar < 0) return identifier.value === value;
    const system = value.slice(0, bar);
    const code = value.slice(bar + 1);
    const systemOk = system === '' ? identifier.system === undefined : identifier.system === system;
    return systemOk && (code === '' || identifier.value === code);
  });
}

function referenceMatches(reference: string | undefined, value: string): boolean {
  if (!reference) return false;
  return reference === value || (!value.includes('/') && reference.endsWith(`/${value}`)) || reference.startsWith(`${value}/_history/`);
}

function matchesOne(resource: FhirResource, code: string, value: string): boolean {
  switch (code) {
    case '_id':
      return resource.id === value;
    case '_lastUpdated':
      return matchesDate(resource.meta?.lastUpdated, value);
    case 'identifier':
      return matchesIdentifier(resource.identifier, value);
    case 'patient': {
      const patient = (resource.patient as Reference | undefined)?.reference;
      const subject = (resource.subject as Reference | undefined)?.reference;
      return referenceMatches(patient, value) || (subject?.startsWith('Patient/') === true && referenceMatches(subject, value));
    }
    case 'subject':
      return referenceMatches((resource.subject as Reference | undefined)?.reference, value);
    case 'target':
      return Array.isArray(resource.target) && (resource.target as Reference[]).some((t) => referenceMatches(t.reference, value));
    default:
      throw new OperationOutcomeError(badRequest(`Unknown search parameter ${code}`));
  }
}

function matches(resource: FhirResource, param: SearchParam): boolean {
  return param.value.split(',').some((value) => matchesOne(resource, param.code, value));
}

function content(resource: FhirResource): string {
  const { meta: _meta, ...rest } = resource;
  return JSON.stringify(rest);
}

export class MemoryResourceService implements ResourceService {
  /** Type/id -> versions, oldest first. */
  private versions = new Map<string, StoredVersion[]>();
  private readonly receipts = new Map<string, unknown>();

  constructor(private readonly now: () => Date = () => new Date()) {}

  /** Number of stored versions, deletions included: lets tests prove nothing was written. */
  get size(): number {
    let n = 0;
    for (const list of this.versions.values()) n += list.length;
    return n;
  }

  markAnchored(type: string, id: string, versionId: string, receipt: unknown): void {
    this.receipts.set(`${type}/${id}/_history/${versionId}`, receipt);
  }

  async create(resource: FhirResource, options?: { ifNoneExist?: string }): Promise<WriteResult> {
    return this.applyCreate(resource, options?.ifNoneExist);
  }

  async update(type: string, id: string, resource: FhirResource, options?: { ifMatch?: string }): Promise<WriteResult> {
    return this.applyUpdate(type, id, resource, options?.ifMatch);
  }

  async delete(type: string, id: string): Promise<{ versionId: string | null }> {
    return { versionId: this.applyDelete(type, id) };
  }

  async read(type: string, id: string): Promise<StoredVersion> {
    const list = this.versions.get(`${type}/${id}`);
    if (!list) throw new OperationOutcomeError(notFound);
    return list[list.length - 1];
  }

  async vread(type: string, id: string, versionId: string): Promise<StoredVersion> {
    const version = this.versions.get(`${type}/${id}`)?.find((v) => v.versionId === versionId);
    if (!version) throw new OperationOutcomeError(notFound);
    return version;
  }

  async history(type: string, id: string): Promise<StoredVersion[]> {
    const list = this.versions.get(`${type}/${id}`);
    if (!list) throw new OperationOutcomeError(notFound);
    return [...list].reverse();
  }

  async search(query: SearchQuery): Promise<SearchResult> {
    const found = this.find(query.type, query.params);
    return {
      total: found.length,
      resources: query.summaryCount ? [] : found.slice(query.offset, query.offset + query.count),
    };
  }

  async transaction(ops: WriteOp[]): Promise<WriteResult[]> {
    const snapshot = new Map([...this.versions].map(([key, list]) => [key, [...list]]));
    try {
      return ops.map((op) => {
        if (op.kind === 'create') return this.applyCreate(op.resource, op.ifNoneExist, op.assignedId);
        if (op.kind === 'update') return this.applyUpdate(op.type, op.id, op.resource, op.ifMatch);
        const versionId = this.applyDelete(op.type, op.id);
        const lastUpdated = this.now().toISOString();
        return { resource: { resourceType: op.type, id: op.id }, versionId: versionId ?? '', lastUpdated, outcome: 'updated' };
      });
    } catch (error) {
      this.versions = snapshot;
      throw error;
    }
  }

  async receipt(type: string, id: string, versionId: string): Promise<ReceiptStatus> {
    await this.vread(type, id, versionId);
    const receipt = this.receipts.get(`${type}/${id}/_history/${versionId}`);
    return receipt === undefined ? { status: 'pending', retryAfterSeconds: 2 } : { status: 'anchored', receipt };
  }

  private find(type: string, params: readonly SearchParam[]): FhirResource[] {
    const found: FhirResource[] = [];
    for (const [key, list] of this.versions) {
      if (!key.startsWith(`${type}/`)) continue;
      const latest = list[list.length - 1];
      if (!latest.deleted && params.every((param) => matches(latest.resource, param))) found.push(latest.resource);
    }
    return found;
  }

  private append(type: string, id: string, resource: FhirResource | undefined): StoredVersion {
    const key = `${type}/${id}`;
    const list = this.versions.get(key) ?? [];
    const versionId = String(list.length + 1);
    const lastUpdated = this.now().toISOString();
    const stored: FhirResource = { ...(resource ?? { resourceType: type }), id, meta: { ...resource?.meta, versionId, lastUpdated } };
    const version: StoredVersion = { resource: stored, versionId, lastUpdated, deleted: resource === undefined };
    list.push(version);
    this.versions.set(key, list);
    return version;
  }

  private applyCreate(resource: FhirResource, ifNoneExist?: string, assignedId?: string): WriteResult {
    if (ifNoneExist) {
      const params = [...new URLSearchParams(ifNoneExist)].map(([code, value]) => ({ code, value }));
      const found = this.find(resource.resourceType, params);
      if (found.length > 1) throw new OperationOutcomeError(multipleMatches);
      if (found.length === 1) {
        const existing = found[0];
        return { resource: existing, versionId: existing.meta!.versionId!, lastUpdated: existing.meta!.lastUpdated!, outcome: 'existing' };
      }
    }
    const id = assignedId ?? randomUUID();
    if (this.versions.has(`${resource.resourceType}/${id}`)) throw new OperationOutcomeError(badRequest(`Id ${id} is taken`));
    const version = this.append(resource.resourceType, id, resource);
    return { resource: version.resource, versionId: version.versionId, lastUpdated: version.lastUpdated, outcome: 'created' };
  }

  private applyUpdate(type: string, id: string, resource: FhirResource, ifMatch?: string): WriteResult {
    if (resource.resourceType !== type || resource.id !== id) {
      throw new OperationOutcomeError(badRequest(`Resource is not ${type}/${id}`));
    }
    const list = this.versions.get(`${type}/${id}`);
    const latest = list?.[list.length - 1];
    if (ifMatch !== undefined && latest?.versionId !== ifMatch) throw new OperationOutcomeError(preconditionFailed);
    if (latest && !latest.deleted && content(latest.resource) === content({ ...resource, id })) {
      return { resource: latest.resource, versionId: latest.versionId, lastUpdated: latest.lastUpdated, outcome: 'unchanged' };
    }
    const version = this.append(type, id, resource);
    const outcome = !latest || latest.deleted ? 'created' : 'updated';
    return { resource: version.resource, versionId: version.versionId, lastUpdated: version.lastUpdated, outcome };
  }

  private applyDelete(type: string, id: string): string | null {
    const list = this.versions.get(`${type}/${id}`);
    const latest = list?.[list.length - 1];
    if (!latest || latest.deleted) return null;
    return this.append(type, id, undefined).versionId;
  }
}
