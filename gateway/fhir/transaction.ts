// transaction: all or nothing. Every write entry is parsed, authorized, validated (and converted
// on the R4 base) first; urn:uuid fullUrls get server ids and every reference to them is
// rewritten; then all writes go to ResourceService.transaction in the order the spec processes
// them (DELETE, POST, PUT). Any failure up to and including that call rejects the whole Bundle
// with nothing stored. GET entries run after the commit and report per entry.

import { randomUUID } from 'node:crypto';
import { badRequest, multipleMatches, OperationOutcomeError } from '@medplum/core';
import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';
import type { FastifyRequest } from 'fastify';
import type { WriteOp, WriteResult } from '../store/service.js';
import type { Bundle, BundleEntry } from './bundle.js';
import { rewriteReferences } from './bundle-references.js';
import { answerEntry } from './entry-answer.js';
import { entryResponse, type EntryResponseSettings } from './entry-response.js';
import { parseEntryUrl } from './entry-url.js';
import { etag, versionFromIfMatch } from './etag.js';
import type { FhirContext } from './fhir-request.js';
import { admit, writeOutcome } from './interactions.js';
import { informational, methodNotAllowed } from './outcomes.js';
import { ReadBudget } from './read-budget.js';
import { parseSearch } from './search-request.js';

interface PlannedWrite {
  index: number;
  op: WriteOp;
  warnings: OperationOutcomeIssue[];
}

interface Plan {
  deletes: PlannedWrite[];
  creates: PlannedWrite[];
  updates: PlannedWrite[];
  reads: number[];
  /** urn:uuid fullUrl -> Type/id */
  references: Map<string, string>;
  touched: Set<string>;
}

function located(outcome: OperationOutcome, index: number): OperationOutcome {
  const where = `Bundle.entry[${index}]`;
  return {
    ...outcome,
    issue: outcome.issue.map((issue) => ({
      ...issue,
      details: { ...issue.details, text: `${where}: ${issue.details?.text ?? issue.diagnostics ?? ''}` },
      expression: issue.expression ?? [where],
    })),
  };
}

function touchOnce(plan: Plan, key: string): void {
  if (plan.touched.has(key)) throw new OperationOutcomeError(badRequest(`${key} appears in more than one entry`));
  plan.touched.add(key);
}

/** Resolves a conditional create up front so urn:uuid references can point at the match. */
async function existingId(ctx: FhirContext, type: string, ifNoneExist: string): Promise<string | undefined> {
  const search = parseSearch(type, new URLSearchParams(ifNoneExist), ctx.search, true);
  const result = await ctx.service.search({ ...search.query, count: 2, offset: 0, summaryCount: false });
  if (result.total > 1) throw new OperationOutcomeError(multipleMatches);
  return result.total === 1 ? result.resources[0]?.id : undefined;
}

async function planEntry(ctx: FhirContext, http: FastifyRequest, entry: BundleEntry, index: number, plan: Plan): Promise<void> {
  const request = entry.request;
  if (!request?.method || !request.url) throw new OperationOutcomeError(badRequest('Entry has no request.method / request.url'));
  const method = request.method.toUpperCase();
  const target = parseEntryUrl(request.url, ctx.selfUrl);
  const { type, id } = target;
  const urn = entry.fullUrl?.startsWith('urn:uuid:') ? entry.fullUrl : undefined;
  const simple = !target.history && !target.query;
  const unsupported = (): never => {
    throw new OperationOutcomeError(badRequest(`Unsupported entry request ${method} ${request.url}`));
  };

  if (method === 'GET') {
    if (!ctx.readable) throw new OperationOutcomeError(methodNotAllowed(method, ['POST', 'PUT', 'DELETE']));
    plan.reads.push(index);
    return;
  }
  if (method === 'DELETE') {
    if (!id || !simple) unsupported();
    await admit(ctx, { http, type }, 'delete');
    touchOnce(plan, `${type}/${id}`);
    plan.deletes.push({ index, op: { kind: 'delete', type, id: id! }, warnings: [] });
    return;
  }
  if (method === 'POST') {
    if (id || !simple) unsupported();
    await admit(ctx, { http, type }, 'create');
    const { resource, warnings } = await ctx.prepare(entry.resource, type);
    delete resource.id;
    const op: WriteOp = { kind: 'create', resource };
    if (request.ifNoneExist) op.ifNoneExist = request.ifNoneExist;
    if (urn) {
      const matched = request.ifNoneExist ? await existingId(ctx, type, request.ifNoneExist) : undefined;
      const newId = matched ?? randomUUID();
      if (!matched) op.assignedId = newId;
      touchOnce(plan, `${type}/${newId}`);
      plan.references.set(urn, `${type}/${newId}`);
    }
    plan.creates.push({ index, op, warnings });
    return;
  }
  if (method === 'PUT') {
    if (!id || !simple) unsupported();
    await admit(ctx, { http, type }, 'update');
    const { resource, warnings } = await ctx.prepare(entry.resource, type);
    if (resource.id !== id) throw new OperationOutcomeError(badRequest(`Resource id ${resource.id ?? '(none)'} does not match ${request.url}`, 'id'));
    touchOnce(plan, `${type}/${id}`);
    if (urn) plan.references.set(urn, `${type}/${id}`);
    const ifMatch = versionFromIfMatch(request.ifMatch);
    const op: WriteOp = { kind: 'update', resource, type, id: id! };
    if (ifMatch !== undefined) op.ifMatch = ifMatch;
    plan.updates.push({ index, op, warnings });
    return;
  }
  unsupported();
}

function writeEntry(planned: PlannedWrite, result: WriteResult | undefined, settings: EntryResponseSettings): BundleEntry {
  if (planned.op.kind === 'delete') {
    const entry = entryResponse([informational('ok', 'Deleted')], true, settings);
    if (result?.versionId) entry.response!.etag = etag(result.versionId);
    return entry;
  }
  if (!result) throw new Error('ResourceService.transaction returned fewer results than operations');
  return entryResponse([writeOutcome(result, planned.warnings), result.resource], true, settings);
}

export async function processTransaction(
  ctx: FhirContext,
  http: FastifyRequest,
  bundle: Bundle,
  settings: EntryResponseSettings & { strict: boolean; bodyLimit: number; readBudget: number },
): Promise<Bundle> {
  const entries = bundle.entry ?? [];
  const plan: Plan = { deletes: [], creates: [], updates: [], reads: [], references: new Map(), touched: new Set() };
  const fullUrls = new Set<string>();
  for (let i = 0; i < entries.length; i++) {
    try {
      const fullUrl = entries[i].fullUrl;
      if (fullUrl) {
        if (fullUrls.has(fullUrl)) throw new OperationOutcomeError(badRequest(`Duplicate fullUrl ${fullUrl}`));
        fullUrls.add(fullUrl);
      }
      await planEntry(ctx, http, entries[i], i, plan);
    } catch (error) {
      if (error instanceof OperationOutcomeError) throw new OperationOutcomeError(located(error.outcome, i), error);
      throw error;
    }
  }

  const writes = [...plan.deletes, ...plan.creates, ...plan.updates];
  if (plan.references.size) {
    for (const { op } of writes) if (op.kind !== 'delete') rewriteReferences(op.resource, plan.references);
  }
  const results = writes.length ? await ctx.service.transaction(writes.map((w) => w.op)) : [];

  const responses: BundleEntry[] = new Array(entries.length);
  writes.forEach((planned, k) => {
    responses[planned.index] = writeEntry(planned, results[k], settings);
  });
  const budget = new ReadBudget(settings.readBudget);
  for (const index of plan.reads) {
    responses[index] = await answerEntry(ctx, http, entries[index]!, budget, settings, { entry: index, kind: 'transaction read entry' });
  }
  return { resourceType: 'Bundle', type: 'transaction-response', timestamp: new Date().toISOString(), entry: responses };
}
