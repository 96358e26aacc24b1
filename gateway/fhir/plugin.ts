// fhirRoutes: one FHIR base as an encapsulated fastify plugin. Register it twice: at /fhir (R5,
// the full RESTful API) and at /fhir/R4 with fhirVersion 'R4' (the write-only intake base).
// Everything inside answers in FHIR: one error handler and one not-found handler turn every
// failure, fastify's own included, into an OperationOutcome with its status, and every path
// shape answers 405 with Allow for the methods it does not support.

import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest, HTTPMethods, RouteHandlerMethod } from 'fastify';
import { badRequest, OperationOutcomeError } from '@medplum/core';
import { processBatchBundle } from './batch-bundle.js';
import type { Bundle } from './bundle.js';
import { boundedJsonParser } from './bounded-json-parser.js';
import { capabilityStatement } from './capability-statement.js';
import type { EntryResponseSettings } from './entry-response.js';
import { errorOutcome } from './error-outcome.js';
import type { FhirContext, FhirRequest, FhirResult } from './fhir-request.js';
import { sendOutcome, sendRead, sendWrite, type ResponseSettings } from './http-response.js';
import {
  createResource,
  deleteResource,
  readResource,
  resourceHistory,
  searchType,
  updateResource,
  vreadResource,
} from './interactions.js';
import { receiptOperation } from './operations/receipt.js';
import { verifyAnchorOperation } from './operations/verify-anchor.js';
import { DEFAULT_MAX_JSON_DEPTH } from './json-depth.js';
import type { FhirLimits, FhirRoutesOptions } from './options.js';
import { methodNotAllowed, noInteraction, tooCostly } from './outcomes.js';
import { parsePrefer } from './prefer.js';
import { resourceIntake } from './resource-intake.js';
import { catalogParameterLookup, searchParameterLookup } from './search-parameters.js';
import { checkAcceptable } from './content-negotiation.js';
import { processTransaction } from './transaction.js';

const DEFAULT_BODY_LIMIT = 10 * 1024 * 1024;

const FHIR_LIMIT_DEFAULTS: FhirLimits = {
  maxJsonDepth: DEFAULT_MAX_JSON_DEPTH,
  bundleMaxEntries: 1000,
  batchMaxResources: 1000,
};

// OPTIONS is left out on purpose: clients are servers (SMART Backend Services, docs/auth.md), no
// browser calls the node, so it registers no CORS handling and a preflight gets a 404.
const METHODS: readonly HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH'];

// Checked by hand rather than by a route schema: one regex per request, and no ajv compile per
// route at start.
// Not only dots: `.` and `..` are path segments every URL resolver rewrites.
const FHIR_ID = /^(?!\.+$)[A-Za-z0-9\-.]{1,64}$/;

function checkId(value: string | undefined, name: string): string | undefined {
  if (value !== undefined && !FHIR_ID.test(value)) {
    throw new OperationOutcomeError(badRequest(`Invalid ${name} ${value.slice(0, 80)}: expected [A-Za-z0-9-.]{1,64}, not only dots`, name));
  }
  return value;
}

interface RouteParams {
  type: string;
  id?: string;
  vid?: string;
}

type PathRoutes = Partial<Record<HTTPMethods, RouteHandlerMethod>>;

function searchParams(request: FastifyRequest): [string, string][] {
  const url = request.raw.url ?? '';
  const mark = url.indexOf('?');
  const pairs = mark < 0 ? [] : [...new URLSearchParams(url.slice(mark + 1))];
  // POST _search carries parameters in a form body, possibly alongside URL ones.
  if (request.body instanceof URLSearchParams) pairs.push(...request.body);
  return pairs;
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

export const fhirRoutes: FastifyPluginAsync<FhirRoutesOptions> = async (app: FastifyInstance, options) => {
  const fhirVersion = options.fhirVersion ?? 'R5';
  const r5 = fhirVersion === 'R5';
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const selfUrl = r5 ? baseUrl : `${baseUrl}/R4`;
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const limits: FhirLimits = { ...FHIR_LIMIT_DEFAULTS, ...options.limits };
  const knownTypes = new Set(options.resourceTypes);
  const parameters = options.search?.parameters ? searchParameterLookup(options.search.parameters) : catalogParameterLookup();

  const ctx: FhirContext = {
    service: options.service,
    authorize: options.authorize,
    prepare: resourceIntake(fhirVersion, options.r4, options.r5Validate),
    isKnownType: (type) => knownTypes.has(type),
    readable: r5,
    baseUrl,
    selfUrl,
    search: {
      defaultCount: options.search?.defaultCount ?? 20,
      maxCount: options.search?.maxCount ?? 1000,
      maxParameters: options.search?.maxParameters ?? 100,
      parameters,
    },
  };
  const responses: ResponseSettings = {
    contentType: `application/fhir+json; fhirVersion=${r5 ? '5.0' : '4.0'}; charset=utf-8`,
    baseUrl,
    // R4: the node keeps only the R5 form, so the conformant default is an empty body (Location and
    // ETag say where to read it back); the conversion warnings come with Prefer: return=OperationOutcome.
    defaultReturn: r5 ? 'representation' : 'minimal',
    canRepresent: r5,
  };
  const metadata = JSON.stringify(
    capabilityStatement({
      fhirVersion,
      url: selfUrl,
      readUrl: baseUrl,
      resourceTypes: options.resourceTypes,
      searchParameters: parameters,
      smart: options.smart,
      bulkExport: r5 && (options.bulkExport ?? false),
      software: options.software ?? { name: 'careledger', version: '0.1.0' },
    }),
  );

  // The server may already parse FHIR JSON (server/request-guards.ts); this base uses its own limit.
  const parseJson = boundedJsonParser(app, limits.maxJsonDepth);
  for (const type of ['application/fhir+json', 'application/json+fhir']) {
    if (app.hasContentTypeParser(type)) app.removeContentTypeParser(type);
    app.addContentTypeParser(type, { parseAs: 'string' }, parseJson);
  }
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, new URLSearchParams(body as string));
  });
  app.removeContentTypeParser('text/plain');

  app.setErrorHandler((error, request, reply) => {
    const mapped = errorOutcome(error, { bodyLimit, contentType: request.headers['content-type'] });
    if (mapped.unexpected) request.log.error({ err: error }, 'FHIR request failed');
    if (mapped.retryAfterSeconds !== undefined) reply.header('retry-after', String(mapped.retryAfterSeconds));
    return sendOutcome(reply, mapped.status, mapped.outcome, responses);
  });
  // Before the body is read: a client that cannot take JSON learns it without sending a body for nothing.
  app.addHook('onRequest', async (request) => {
    const url = request.raw.url ?? '';
    const mark = url.indexOf('?');
    checkAcceptable(header(request, 'accept'), mark < 0 ? null : new URLSearchParams(url.slice(mark + 1)).get('_format'));
  });
  app.setNotFoundHandler((request, reply) => {
    return sendOutcome(reply, 404, noInteraction(request.method, request.url), responses);
  });

  // One context per request only when a per-request service is configured; otherwise the shared one.
  const ctxFor = (request: FastifyRequest): FhirContext =>
    options.serviceFor ? { ...ctx, service: options.serviceFor(request) } : ctx;

  const toFhir = (request: FastifyRequest): FhirRequest => {
    const params = request.params as RouteParams;
    return {
      http: request,
      type: params.type,
      id: checkId(params.id, 'id'),
      versionId: checkId(params.vid, 'versionId'),
      body: request.body,
      ifMatch: header(request, 'if-match'),
      ifNoneExist: header(request, 'if-none-exist'),
      params: searchParams(request),
      strict: parsePrefer(request.headers.prefer).strict,
    };
  };
  const read =
    (handler: (ctx: FhirContext, req: FhirRequest) => Promise<FhirResult>): RouteHandlerMethod =>
    async (request, reply) =>
      sendRead(reply, await handler(ctxFor(request), toFhir(request)), responses);
  const write =
    (handler: (ctx: FhirContext, req: FhirRequest) => Promise<FhirResult>): RouteHandlerMethod =>
    async (request, reply) =>
      sendWrite(reply, await handler(ctxFor(request), toFhir(request)), parsePrefer(request.headers.prefer).return, responses);

  const bundle: RouteHandlerMethod = async (request, reply) => {
    const body = request.body as Bundle | undefined;
    if (body?.resourceType !== 'Bundle') throw new OperationOutcomeError(badRequest('Expected a Bundle', 'resourceType'));
    if (Array.isArray(body.entry) && body.entry.length > limits.bundleMaxEntries) {
      throw new OperationOutcomeError(
        tooCostly(`The Bundle has ${body.entry.length} entries; at most ${limits.bundleMaxEntries} are taken in one request: split it into several Bundles`),
      );
    }
    const prefer = parsePrefer(request.headers.prefer);
    const settings: EntryResponseSettings & { strict: boolean; bodyLimit: number; readBudget: number } = {
      baseUrl,
      preferReturn: prefer.return ?? responses.defaultReturn,
      canRepresent: r5,
      strict: prefer.strict,
      bodyLimit,
      readBudget: limits.batchMaxResources,
    };
    let response: Bundle;
    if (body.type === 'transaction') response = await processTransaction(ctxFor(request), request, body, settings);
    else if (body.type === 'batch') response = await processBatchBundle(ctxFor(request), request, body, settings);
    else throw new OperationOutcomeError(badRequest(`Bundle.type must be transaction or batch, not ${String(body.type)}`, 'type'));
    return reply.code(200).type(responses.contentType).send(response);
  };

  const routes: Record<string, PathRoutes> = {
    '/metadata': { GET: async (_request: FastifyRequest, reply: FastifyReply) => reply.type(responses.contentType).send(metadata) },
    '/': { POST: bundle },
    '/$verify-anchor': r5
      ? {
          POST: async (request: FastifyRequest, reply: FastifyReply) =>
            reply.type(responses.contentType).send(await verifyAnchorOperation(request, ctx.authorize, options.verifyAnchor, request.body)),
        }
      : {},
    '/:type': r5 ? { GET: read(searchType), POST: write(createResource) } : { POST: write(createResource) },
    '/:type/_search': r5 ? { POST: read(searchType) } : {},
    '/:type/:id': r5
      ? { GET: read(readResource), PUT: write(updateResource), DELETE: write(deleteResource) }
      : { PUT: write(updateResource), DELETE: write(deleteResource) },
    '/:type/:id/_history': r5 ? { GET: read(resourceHistory) } : {},
    '/:type/:id/_history/:vid': r5 ? { GET: read(vreadResource) } : {},
    '/:type/:id/_history/:vid/$receipt': r5
      ? {
          GET: async (request: FastifyRequest, reply: FastifyReply) => {
            const req = toFhir(request) as FhirRequest & { id: string; versionId: string };
            const { result, receipt, retryAfterSeconds } = await receiptOperation(ctxFor(request), req);
            if (retryAfterSeconds !== undefined) {
              return sendOutcome(reply.header('retry-after', String(retryAfterSeconds)), 202, result[0], responses);
            }
            return reply.code(200).type('application/json').send(JSON.stringify(receipt));
          },
        }
      : {},
  };

  for (const [url, handlers] of Object.entries(routes)) {
    const supported = Object.keys(handlers) as HTTPMethods[];
    for (const method of supported) {
      app.route({ method, url, bodyLimit, handler: handlers[method]! });
    }
    const allow = supported.includes('GET') ? [...supported, 'HEAD'] : supported;
    const rejected = METHODS.filter((method) => !allow.includes(method));
    if (rejected.length) {
      const refuse = async (request: FastifyRequest, reply: FastifyReply) =>
        sendOutcome(reply.header('allow', allow.join(', ')), 405, methodNotAllowed(request.method, allow), responses);
      // Answered in onRequest, before any body is parsed: a PATCH with a JSON Patch body is a
      // 405 (not supported here), not a 415 about a media type nobody would parse anyway.
      app.route({ method: rejected, url, bodyLimit, onRequest: refuse, handler: refuse });
    }
  }
};
