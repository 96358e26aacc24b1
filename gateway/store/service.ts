// The resource service: what the FHIR HTTP layer and the capabilities call. The intake pipeline
// implements it (intake/pipeline.ts: R5 validation, canonicalization, digest) in front of the
// resource store (store/resource-store.ts: journal, vault, versions, search index); the HTTP
// layer owns parsing, R4 conversion, headers and Bundles. Failures are thrown as
// OperationOutcomeError (from @medplum/core) so any layer can turn them into a response.

/** An R5 resource as JSON. Medplum's types are R4, so the node keeps R5 content loosely typed. */
export interface FhirResource {
  resourceType: string;
  id?: string;
  meta?: { versionId?: string; lastUpdated?: string; [key: string]: unknown };
  [key: string]: unknown;
}

export interface StoredVersion {
  resource: FhirResource;
  versionId: string;
  lastUpdated: string;
  deleted: boolean;
}

export interface WriteResult {
  /** The stored resource with id and meta.versionId / meta.lastUpdated set. */
  resource: FhirResource;
  versionId: string;
  lastUpdated: string;
  /** 'created' (201), 'updated' (200), 'unchanged' (200: same content as the current version,
   * nothing new stored or anchored), 'existing' (conditional create matched). */
  outcome: 'created' | 'updated' | 'unchanged' | 'existing';
}

export type WriteOp =
  | { kind: 'create'; resource: FhirResource; ifNoneExist?: string; assignedId?: string }
  | { kind: 'update'; resource: FhirResource; type: string; id: string; ifMatch?: string }
  | { kind: 'delete'; type: string; id: string };

export interface SearchParam {
  code: string;
  modifier?: string;
  value: string;
  /** A chained search (`patient.identifier=…`, `subject:Patient.name=…`): the parameter applied to
   * the referenced resource, of type `type`. `value` is then unused. */
  chain?: { type: string; param: SearchParam };
}

/** `_include` / `_revinclude`: `source:code[:target]`, and whether it applies to included resources too. */
export interface IncludeSpec {
  source: string;
  code: string;
  target?: string;
  iterate: boolean;
}

export interface SearchQuery {
  type: string;
  params: SearchParam[];
  count: number;
  offset: number;
  summaryCount: boolean;
  /** `_sort`, in order of precedence; default `_lastUpdated`, then `_id`. */
  sort?: Array<{ code: string; descending: boolean }>;
  include?: IncludeSpec[];
  revinclude?: IncludeSpec[];
}

export interface SearchResult {
  total: number;
  resources: FhirResource[];
  /** Resources added by `_include` / `_revinclude` (search.mode `include`). */
  included?: FhirResource[];
}

export type ReceiptStatus =
  | { status: 'anchored'; receipt: unknown }
  | { status: 'pending'; retryAfterSeconds: number };

export interface ResourceService {
  create(resource: FhirResource, options?: { ifNoneExist?: string }): Promise<WriteResult>;
  /** Update, or create with the given id when none exists (FHIR "update as create"). */
  update(type: string, id: string, resource: FhirResource, options?: { ifMatch?: string }): Promise<WriteResult>;
  delete(type: string, id: string): Promise<{ versionId: string | null }>;
  read(type: string, id: string): Promise<StoredVersion>;
  vread(type: string, id: string, versionId: string): Promise<StoredVersion>;
  /** Newest first, deletions included. */
  history(type: string, id: string): Promise<StoredVersion[]>;
  search(query: SearchQuery): Promise<SearchResult>;
  /** All or nothing: every op is validated first, then all are journaled in one transaction. */
  transaction(ops: WriteOp[]): Promise<WriteResult[]>;
  receipt(type: string, id: string, versionId: string): Promise<ReceiptStatus>;
}
