// The thin HTTP adapter: turns a handler's [OperationOutcome, resource?] into status, headers and
// body. ETag / Last-Modified come from the resource's meta; Location names the new version on
// writes; Prefer: return picks the body of a write.

import type { OperationOutcome } from '@medplum/fhirtypes';
import type { FastifyReply } from 'fastify';
import { versionLocation } from './entry-response.js';
import { etag } from './etag.js';
import type { FhirResult } from './fhir-request.js';
import { outcomeStatus } from './outcomes.js';
import type { PreferReturn } from './prefer.js';

export interface ResponseSettings {
  contentType: string;
  /** Absolute URL of the R5 base, for Location. */
  baseUrl: string;
  defaultReturn: PreferReturn;
  /** false on the R4 base: a stored R5 resource is never echoed to an R4 client. */
  canRepresent: boolean;
}

function versionHeaders(reply: FastifyReply, result: FhirResult): void {
  const meta = result[1]?.meta;
  if (meta?.versionId) reply.header('etag', etag(meta.versionId));
  if (meta?.lastUpdated) reply.header('last-modified', new Date(meta.lastUpdated).toUTCString());
}

export function sendOutcome(reply: FastifyReply, status: number, outcome: OperationOutcome, settings: ResponseSettings): FastifyReply {
  return reply.code(status).type(settings.contentType).send(outcome);
}

export function sendRead(reply: FastifyReply, result: FhirResult, settings: ResponseSettings): FastifyReply {
  const [outcome, resource] = result;
  versionHeaders(reply, result);
  return reply.code(outcomeStatus(outcome)).type(settings.contentType).send(resource ?? outcome);
}

export function sendWrite(
  reply: FastifyReply,
  result: FhirResult,
  preferReturn: PreferReturn | undefined,
  settings: ResponseSettings,
): FastifyReply {
  const [outcome, resource] = result;
  reply.code(outcomeStatus(outcome));
  versionHeaders(reply, result);
  const location = resource && versionLocation(settings.baseUrl, resource);
  if (location) reply.header('location', location);
  const mode = preferReturn ?? settings.defaultReturn;
  if (mode === 'minimal') return reply.send();
  const body = mode === 'representation' && settings.canRepresent && resource ? resource : outcome;
  return reply.type(settings.contentType).send(body);
}
