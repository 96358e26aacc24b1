// The RESTful interactions as handlers that return [OperationOutcome, resource?] (medplum's
// fhir-router shape). Routes and Bundle entries both call these, so a batch entry behaves
// exactly like the same request sent alone.

import { badRequest, gone, OperationOutcomeError } from '@medplum/core';
import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';
import type { StoredVersion, WriteResult } from '../store/service.js';
import { versionFromIfMatch } from './etag.js';
import type { FhirContext, FhirRequest, FhirResult } from './fhir-request.js';
import { historyBundle } from './history-bundle.js';
import type { FhirInteraction } from './authorize.js';
import { informational, unknownResourceType } from './outcomes.js';
import { searchBundle } from './search-bundle.js';
import { parsePage, parseSearch } from './search-request.js';

const WRITE_TEXT: Record<WriteResult['outcome'], string> = {
  created: 'Created',
  updated: 'Updated',
  unchanged: 'Unchanged: content identical to the current version',
  existing: 'A resource matching If-None-Exist already exists',
};

export function writeOutcome(result: WriteResult, warnings: readonly OperationOutcomeIssue[]): OperationOutcome {
  return informational(result.outcome === 'created' ? 'created' : 'ok', WRITE_TEXT[result.outcome], warnings);
}

export async function admit(ctx: FhirContext, req: FhirRequest, interaction: FhirInteraction): Promise<void> {
  if (!ctx.isKnownType(req.type)) throw new OperationOutcomeError(unknownResourceType(req.type));
  await ctx.authorize(req.http, req.type, interaction);
}

function required(value: string | undefined, name: string): string {
  if (!value) throw new OperationOutcomeError(badRequest(`Missing ${name}`));
  return value;
}

function current(version: StoredVersion): FhirResult {
  if (version.deleted) throw new OperationOutcomeError(gone);
  return [informational('ok', 'OK'), version.resource];
}

export async function createResource(ctx: FhirContext, req: FhirRequest): Promise<FhirResult> {
  await admit(ctx, req, 'create');
  const { resource, warnings } = await ctx.prepare(req.body, req.type);
  // FHIR create: the server assigns the id and ignores any the client sent.
  delete resource.id;
  const result = await ctx.service.create(resource, req.ifNoneExist ? { ifNoneExist: req.ifNoneExist } : undefined);
  return [writeOutcome(result, warnings), result.resource];
}

export async function updateResource(ctx: FhirContext, req: FhirRequest): Promise<FhirResult> {
  await admit(ctx, req, 'update');
  const id = required(req.id, 'id');
  const { resource, warnings } = await ctx.prepare(req.body, req.type);
  if (resource.id !== id) {
    const text = resource.id === undefined ? 'Resource has no id' : `Resource id ${resource.id} does not match the URL (${id})`;
    throw new OperationOutcomeError(badRequest(text, 'id'));
  }
  const ifMatch = versionFromIfMatch(req.ifMatch);
  const result = await ctx.service.update(req.type, id, resource, ifMatch === undefined ? undefined : { ifMatch });
  return [writeOutcome(result, warnings), result.resource];
}

export async function deleteResource(ctx: FhirContext, req: FhirRequest): Promise<FhirResult> {
  await admit(ctx, req, 'delete');
  const { versionId } = await ctx.service.delete(req.type, required(req.id, 'id'));
  return [informational('ok', versionId === null ? 'Nothing to delete' : `Deleted (version ${versionId})`)];
}

export async function readResource(ctx: FhirContext, req: FhirRequest): Promise<FhirResult> {
  await admit(ctx, req, 'read');
  return current(await ctx.service.read(req.type, required(req.id, 'id')));
}

export async function vreadResource(ctx: FhirContext, req: FhirRequest): Promise<FhirResult> {
  await admit(ctx, req, 'vread');
  return current(await ctx.service.vread(req.type, required(req.id, 'id'), required(req.versionId, 'versionId')));
}

export async function resourceHistory(ctx: FhirContext, req: FhirRequest): Promise<FhirResult> {
  await admit(ctx, req, 'history');
  const id = required(req.id, 'id');
  const versions = await ctx.service.history(req.type, id);
  const page = parsePage(req.params ?? [], ctx.search);
  return [informational('ok', 'OK'), historyBundle(ctx.baseUrl, req.type, id, versions, page)];
}

export async function searchType(ctx: FhirContext, req: FhirRequest): Promise<FhirResult> {
  await admit(ctx, req, 'search');
  const search = parseSearch(req.type, req.params ?? [], ctx.search, req.strict ?? true);
  const result = await ctx.service.search(search.query);
  return [informational('ok', 'OK'), searchBundle(ctx.baseUrl, search, result)];
}
