// Bundle.entry.response for transaction-response and batch-response, built from the same
// [OperationOutcome, resource?] a standalone request would produce.

import { STATUS_CODES } from 'node:http';
import type { OperationOutcome } from '@medplum/fhirtypes';
import type { FhirResource } from '../store/service.js';
import type { BundleEntry } from './bundle.js';
import { etag } from './etag.js';
import type { FhirResult } from './fhir-request.js';
import { outcomeStatus } from './outcomes.js';
import type { PreferReturn } from './prefer.js';

function statusLine(status: number): string {
  return `${status} ${STATUS_CODES[status] ?? ''}`.trimEnd();
}

export function versionLocation(baseUrl: string, resource: FhirResource): string | undefined {
  const versionId = resource.meta?.versionId;
  return resource.id && versionId ? `${baseUrl}/${resource.resourceType}/${resource.id}/_history/${versionId}` : undefined;
}

/** An outcome worth showing: anything beyond the single informational issue of a success. */
function hasNews(outcome: OperationOutcome): boolean {
  return outcome.issue.length > 1 || outcome.issue[0]?.severity !== 'information';
}

export interface EntryResponseSettings {
  baseUrl: string;
  preferReturn: PreferReturn;
  /** false on the R4 base: the stored resource is R5 and cannot be echoed to an R4 client. */
  canRepresent: boolean;
}

export function entryResponse(result: FhirResult, write: boolean, settings: EntryResponseSettings): BundleEntry {
  const [outcome, resource] = result;
  const status = outcomeStatus(outcome);
  const entry: BundleEntry = { response: { status: statusLine(status) } };
  const response = entry.response!;
  const versionId = resource?.meta?.versionId;
  if (resource && versionId && resource.resourceType !== 'Bundle') {
    response.etag = etag(versionId);
    if (resource.meta?.lastUpdated) response.lastModified = resource.meta.lastUpdated;
    if (write) response.location = versionLocation(settings.baseUrl, resource);
  }
  const showResource = resource && (!write || (settings.preferReturn === 'representation' && settings.canRepresent));
  if (showResource) {
    if (resource.id) entry.fullUrl = `${settings.baseUrl}/${resource.resourceType}/${resource.id}`;
    entry.resource = resource;
  }
  if (status >= 400 || settings.preferReturn === 'OperationOutcome' || hasNews(outcome)) response.outcome = outcome;
  return entry;
}

export function errorEntry(status: number, outcome: OperationOutcome): BundleEntry {
  return { response: { status: statusLine(status), outcome } };
}
