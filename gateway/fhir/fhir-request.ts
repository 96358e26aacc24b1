// The transport-neutral request every FHIR handler takes, whether it came from a route or from a
// Bundle entry, and the [OperationOutcome, resource?] pair every handler returns.

import type { OperationOutcome } from '@medplum/fhirtypes';
import type { FastifyRequest } from 'fastify';
import type { FhirResource, ResourceService } from '../store/service.js';
import type { Authorize } from './authorize.js';
import type { PrepareResource } from './resource-intake.js';
import type { SearchSettings } from './search-request.js';

export interface FhirRequest {
  /** The HTTP request the interaction arrived in; authorization reads its principal. */
  http: FastifyRequest;
  type: string;
  id?: string;
  versionId?: string;
  body?: unknown;
  ifMatch?: string;
  ifNoneExist?: string;
  params?: Iterable<[string, string]>;
  strict?: boolean;
}

export type FhirResult = [OperationOutcome, FhirResource?];

export interface FhirContext {
  /** The service for the request being handled (see FhirRoutesOptions.serviceFor). */
  service: ResourceService;
  authorize: Authorize;
  prepare: PrepareResource;
  isKnownType(type: string): boolean;
  /** false on the R4 intake base, which takes writes only. */
  readable: boolean;
  /** Absolute URL of the R5 base: fullUrls, Location and paging links. */
  baseUrl: string;
  /** Absolute URL of the base the request arrived at: absolute Bundle entry URLs are under it. */
  selfUrl: string;
  search: SearchSettings;
}
