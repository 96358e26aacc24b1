// Runs one Bundle entry as the RESTful interaction its request method and URL name.

import { badRequest, OperationOutcomeError } from '@medplum/core';
import type { FastifyRequest } from 'fastify';
import type { BundleEntry } from './bundle.js';
import { parseEntryUrl } from './entry-url.js';
import type { FhirContext, FhirRequest, FhirResult } from './fhir-request.js';
import {
  createResource,
  deleteResource,
  readResource,
  resourceHistory,
  searchType,
  updateResource,
  vreadResource,
} from './interactions.js';
import { methodNotAllowed } from './outcomes.js';

export interface DispatchedEntry {
  result: FhirResult;
  write: boolean;
}

type Handler = (ctx: FhirContext, req: FhirRequest) => Promise<FhirResult>;

function pick(method: string, req: FhirRequest, history: boolean, hasQuery: boolean): [Handler, boolean] | undefined {
  const { id, versionId } = req;
  switch (method) {
    case 'GET':
      if (!id) return [searchType, false];
      if (history) return versionId ? [vreadResource, false] : [resourceHistory, false];
      return [readResource, false];
    case 'POST':
      return id || hasQuery ? undefined : [createResource, true];
    case 'PUT':
      return id && !history ? [updateResource, true] : undefined;
    case 'DELETE':
      return id && !history && !hasQuery ? [deleteResource, true] : undefined;
    default:
      return undefined;
  }
}

export async function dispatchEntry(
  ctx: FhirContext,
  http: FastifyRequest,
  entry: BundleEntry,
  strict: boolean,
): Promise<DispatchedEntry> {
  const request = entry.request;
  if (!request?.method || !request.url) throw new OperationOutcomeError(badRequest('Entry has no request.method / request.url'));
  const method = request.method.toUpperCase();
  const target = parseEntryUrl(request.url, ctx.selfUrl);
  const req: FhirRequest = {
    http,
    type: target.type,
    id: target.id,
    versionId: target.versionId,
    body: entry.resource,
    ifMatch: request.ifMatch,
    ifNoneExist: request.ifNoneExist,
    params: target.query,
    strict,
  };
  if (method === 'GET' && !ctx.readable) {
    throw new OperationOutcomeError(methodNotAllowed(method, ['POST', 'PUT', 'DELETE']));
  }
  const chosen = pick(method, req, target.history, target.query !== undefined);
  if (!chosen) throw new OperationOutcomeError(badRequest(`Unsupported entry request ${method} ${request.url}`));
  const [handler, write] = chosen;
  return { result: await handler(ctx, req), write };
}
