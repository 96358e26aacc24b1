// The slice of the R5 Bundle shape the HTTP layer reads and writes. Medplum's Bundle type is R4
// and types entry resources as R4, so the node keeps its own narrow one.

import type { OperationOutcome } from '@medplum/fhirtypes';
import type { FhirResource } from '../store/service.js';

export interface BundleLink {
  relation: string;
  url: string;
}

export interface BundleEntryRequest {
  method: string;
  url: string;
  ifMatch?: string;
  ifNoneExist?: string;
}

export interface BundleEntryResponse {
  status: string;
  location?: string;
  etag?: string;
  lastModified?: string;
  outcome?: OperationOutcome;
}

export interface BundleEntry {
  fullUrl?: string;
  resource?: FhirResource;
  search?: { mode: 'match' | 'include' | 'outcome' };
  request?: BundleEntryRequest;
  response?: BundleEntryResponse;
}

export interface Bundle extends FhirResource {
  resourceType: 'Bundle';
  type: string;
  timestamp?: string;
  total?: number;
  link?: BundleLink[];
  entry?: BundleEntry[];
}
