// What the FHIR routes need from the rest of the node. Everything is injected so the lead wires
// the real store, validators, converter, SMART authorization and receipt verifier, and tests
// wire small in-process ones.

import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import type { FastifyRequest } from 'fastify';
import type { FhirResource, ResourceService } from '../store/service.js';
import type { Authorize } from './authorize.js';
import type { VerifyAnchor } from './operations/verify-anchor.js';
import type { SearchParameterDefinition } from './search-parameters.js';

export interface R4Intake {
  /** May run elsewhere (a worker pool): full R4 validation is the costliest step of intake. */
  validate(resource: FhirResource): OperationOutcomeIssue[] | Promise<OperationOutcomeIssue[]>;
  convert(resource: FhirResource): { resource: FhirResource; issues: OperationOutcomeIssue[] };
}

export interface FhirLimits {
  /** Deepest nesting of objects and arrays in a JSON body. */
  maxJsonDepth: number;
  /** Entries in one batch or transaction Bundle; more is a 413. */
  bundleMaxEntries: number;
  /** Resources the read entries of one Bundle may return together (read-budget.ts). */
  batchMaxResources: number;
}

export interface SmartEndpoints {
  token: string;
  authorize?: string;
  register?: string;
  manage?: string;
  introspect?: string;
  revoke?: string;
}

export interface FhirRoutesOptions {
  service: ResourceService;
  /** The service one request sees, e.g. a consent-enforcing view for a consortium member's
   * request. Default: `service` for every request. Called before `authorize`; the view it returns
   * must not be used before authorization ran, which the handlers guarantee. */
  serviceFor?(request: FastifyRequest): ResourceService;
  /** R5 resource types this node stores: the 404 check and the CapabilityStatement both use it. */
  resourceTypes: readonly string[];
  /** Throws OperationOutcomeError (401/403); called before the service is touched. */
  authorize: Authorize;
  r4: R4Intake;
  /** R5 validation at the HTTP layer, for a service that does not validate itself. The node's
   * service is the intake pipeline (intake/pipeline.ts), which validates every write: it omits this. */
  r5Validate?(resource: FhirResource): OperationOutcomeIssue[];
  verifyAnchor: VerifyAnchor;
  /** Absolute URL of the R5 base (e.g. https://node.example.org/fhir). fullUrls, Location and
   * paging links use it on both bases, since resources are read back only at the R5 base. The
   * R4 intake base is `${baseUrl}/R4`. */
  baseUrl: string;
  /** 'R5' (default): the full REST API. 'R4': the write-only intake base. */
  fhirVersion?: 'R5' | 'R4';
  /** Request body limit in bytes; default 10 MiB. */
  bodyLimit?: number;
  /** `parameters` narrows search to a fixed list; by default it is what the store indexes (the R5 catalog). */
  search?: { defaultCount?: number; maxCount?: number; maxParameters?: number; parameters?: readonly SearchParameterDefinition[] };
  /** What one request may cost; defaults in plugin.ts (FHIR_LIMIT_DEFAULTS). */
  limits?: Partial<FhirLimits>;
  smart?: SmartEndpoints;
  /** Bulk Data export runs under this base (fhir-adapters/bulk/export-server.ts): the
   * CapabilityStatement lists $export at system, Patient and Group level. */
  bulkExport?: boolean;
  software?: { name: string; version: string };
}
