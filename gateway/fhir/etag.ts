// Weak ETags carry the versionId (FHIR: ETag W/"<versionId>"); If-Match is accepted weak, strong
// or bare, and reaches the service as the bare versionId.

import { badRequest, OperationOutcomeError } from '@medplum/core';

export function etag(versionId: string): string {
  return `W/"${versionId}"`;
}

// Version ids are FHIR ids, which also keeps `*` and lists of tags out.
const ETAG = /^(?:W\/)?"([A-Za-z0-9\-.]{1,64})"$|^([A-Za-z0-9\-.]{1,64})$/;

export function versionFromIfMatch(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = ETAG.exec(header.trim());
  if (!match) throw new OperationOutcomeError(badRequest(`Malformed If-Match ${header}; expected W/"<versionId>"`));
  return match[1] ?? match[2];
}
