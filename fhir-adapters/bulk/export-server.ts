// Bulk Data export FROM the node (FHIR Bulk Data Access 2.0): system `$export`,
// `Patient/$export` and `Group/:id/$export` start an async job (Prefer: respond-async -> 202 +
// Content-Location); `$export-status/:id` answers 202 with Retry-After and X-Progress while it
// runs, then 200 with the manifest; files are R5 NDJSON of current, non-deleted versions and,
// like the status, need an access token (`requiresAccessToken: true`). DELETE on the status URL
// removes the job and its files. Register under the R5 FHIR base (e.g. prefix /fhir), with
// `authorize` doing the same SMART check as the FHIR routes.
// A job belongs to the client that started it: to every other client its status, files and
// DELETE answer 404, as for a job that does not exist. Files are sealed at rest under the
// patients' vault keys (sealed-ndjson.ts) and decrypted while they stream; a finished job is
// deleted with its files once its retention ends (default one hour).

import { OperationOutcomeError, badRequest, getStatus, notFound } from '@medplum/core';
import type { OperationOutcome } from '@medplum/fhirtypes';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import type { ResourceService } from '../../gateway/store/service.js';
import type { Vault } from '../../gateway/store/vault.js';
import type { ExportJobRow, ExportJobTable, ExportScope } from './export-job-table.js';
import { ExportJobs } from './export-jobs.js';
import type { ListAll } from './store-export-source.js';

export type ExportInteraction = 'search' | 'operation';

export interface BulkExportServerOptions {
  /** Reads the Group of a Group-level export. */
  service: Pick<ResourceService, 'read'>;
  /** Current, non-deleted resources of a type (storeExportSource over the node's store). */
  listAll: ListAll;
  /** Types a system export without `_type` includes. */
  resourceTypes: readonly string[];
  /** The job rows (gateway/store/export-job-store.ts). */
  jobs: ExportJobTable;
  /** Export files go to `<dataDir>/bulk-export/<job>/` (directories 0700, files 0600). */
  dataDir: string;
  /** Export files are sealed under the patients' compartment keys; an erased patient drops out. */
  vault: Pick<Vault, 'seal' | 'open' | 'isShredded'>;
  /** Absolute URL of this FHIR base (status and file URLs are built on it). */
  baseUrl: string;
  /** Throws OperationOutcomeError (401/403) when the request may not read `type`. */
  authorize(request: FastifyRequest, type: string, interaction: ExportInteraction): void | Promise<void>;
  /** Who is asking (the client id), which a job is bound to; throws OperationOutcomeError 401 when nobody is proven. */
  identify(request: FastifyRequest): string | Promise<string>;
  /** Retry-After on 202 status answers. Default 2. */
  retryAfterSeconds?: number;
  /** How long a finished job and its files are kept. Default 3600 (one hour). */
  retentionSeconds?: number;
  /** Epoch milliseconds; injectable so tests can move time. */
  now?: () => number;
}

const DEFAULT_EXPORT_RETENTION_SECONDS = 3600;
/** How often expired jobs are swept when nobody asks for them. */
const SWEEP_INTERVAL_MS = 60_000;

const NDJSON_FORMATS = new Set(['application/fhir+ndjson', 'application/ndjson', 'ndjson']);

export const bulkExportRoutes: FastifyPluginAsync<BulkExportServerOptions> = async (app, options) => {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const jobs = new ExportJobs({
    table: options.jobs,
    dataDir: options.dataDir,
    listAll: options.listAll,
    vault: options.vault,
    retentionMs: (options.retentionSeconds ?? DEFAULT_EXPORT_RETENTION_SECONDS) * 1000,
    ...(options.now ? { now: options.now } : {}),
  });
  await jobs.open();
  const sweeper = setInterval(() => {
    jobs.removeExpired().catch((error: unknown) => app.log.warn({ err: error }, 'deleting expired export jobs failed; retrying at the next sweep'));
  }, SWEEP_INTERVAL_MS).unref();
  app.addHook('onClose', async () => clearInterval(sweeper));
  const retryAfter = String(options.retryAfterSeconds ?? 2);

  app.setErrorHandler((failure, _request, reply) => {
    const error = failure as Error & { statusCode?: number };
    const outcome: OperationOutcome =
      error instanceof OperationOutcomeError
        ? error.outcome
        : { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception', diagnostics: error.message }] };
    const status = error instanceof OperationOutcomeError ? getStatus(outcome) : (error.statusCode ?? 500);
    const challenge = (error as { challenge?: string }).challenge;
    if (challenge) reply.header('www-authenticate', challenge);
    return reply.code(status).type('application/fhir+json').send(outcome);
  });

  async function kickOff(request: FastifyRequest, reply: FastifyReply, scope: () => Promise<ExportScope>): Promise<void> {
    const query = new URLSearchParams((request.raw.url ?? '').split('?')[1] ?? '');
    if (!/respond-async/.test(String(request.headers.prefer ?? ''))) {
      throw new OperationOutcomeError(badRequest('$export needs the header Prefer: respond-async'));
    }
    const format = query.get('_outputFormat');
    if (format && !NDJSON_FORMATS.has(format)) throw new OperationOutcomeError(badRequest(`_outputFormat ${format} is not supported`));
    const since = query.get('_since');
    if (since !== null && Number.isNaN(Date.parse(since))) throw new OperationOutcomeError(badRequest(`_since ${since} is not an instant`));
    const types = query.getAll('_type').flatMap((value) => value.split(',')).map((type) => type.trim()).filter(Boolean);
    const unknown = types.filter((type) => !options.resourceTypes.includes(type));
    if (unknown.length > 0) throw new OperationOutcomeError(badRequest(`_type names unsupported types: ${unknown.join(', ')}`));
    const selected = types.length > 0 ? [...new Set(types)] : [...options.resourceTypes];
    const owner = await options.identify(request);
    for (const type of selected) await options.authorize(request, type, 'search');
    const job = await jobs.start(owner, `${new URL(baseUrl).origin}${request.url}`, selected, since, await scope());
    return reply.code(202).header('content-location', `${baseUrl}/$export-status/${job.id}`).send();
  }

  // Kick-off is GET only (Bulk Data 2.0 makes the POST form optional): other methods get 405 with
  // Allow, answered before any body is read, instead of falling through to the FHIR routes
  // (where `POST /$export` was a create of type "$export", a 404).
  const getOnly = async (request: FastifyRequest, reply: FastifyReply) =>
    reply
      .code(405)
      .header('allow', 'GET, HEAD')
      .type('application/fhir+json')
      .send({
        resourceType: 'OperationOutcome',
        id: 'method-not-allowed',
        issue: [{ severity: 'error', code: 'not-supported', details: { text: `Method ${request.method} is not allowed here; allowed: GET, HEAD. Kick off an export with GET and Prefer: respond-async` } }],
      } satisfies OperationOutcome);
  for (const url of ['/$export', '/Patient/$export', '/Group/:id/$export']) {
    app.route({ method: ['POST', 'PUT', 'DELETE', 'PATCH'], url, onRequest: getOnly, handler: getOnly });
  }

  app.get('/$export', (request, reply) => kickOff(request, reply, async () => ({ kind: 'system' })));
  app.get('/Patient/$export', (request, reply) => kickOff(request, reply, async () => ({ kind: 'patient' })));
  app.get<{ Params: { id: string } }>('/Group/:id/$export', async (request, reply) => {
    await options.authorize(request, 'Group', 'search');
    return kickOff(request, reply, async () => {
      const group = (await options.service.read('Group', request.params.id)).resource as { member?: Array<{ entity?: { reference?: string } }> };
      const patients = (group.member ?? []).map((member) => member.entity?.reference ?? '').filter((reference) => reference.startsWith('Patient/'));
      return { kind: 'group', patients };
    });
  });

  /** The caller's job, after checking the caller may still read every type it holds. */
  async function ownJob(request: FastifyRequest, id: string): Promise<ExportJobRow> {
    // Identity first and scopes only for the owner, so another client learns nothing, not even
    // from a 403, about a job that is not its own.
    const job = await jobs.getFor(id, await options.identify(request));
    if (!job) throw new OperationOutcomeError(notFound);
    for (const type of job.types) await options.authorize(request, type, 'search');
    return job;
  }

  app.get<{ Params: { id: string } }>('/$export-status/:id', async (request, reply) => {
    const job = await ownJob(request, request.params.id);
    if (job.status === 'in-progress') {
      return reply.code(202).header('retry-after', retryAfter).header('x-progress', job.progress ?? 'queued').send();
    }
    if (job.status === 'failed') {
      throw new OperationOutcomeError({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception', diagnostics: `export failed: ${job.error}` }] });
    }
    return reply
      .code(200)
      .type('application/json')
      .send({
        transactionTime: job.transactionTime,
        request: job.request,
        requiresAccessToken: true,
        output: job.output.map((file) => ({ type: file.type, url: `${baseUrl}/$export-file/${job.id}/${file.file}`, count: file.count })),
        error: [],
      });
  });

  app.delete<{ Params: { id: string } }>('/$export-status/:id', async (request, reply) => {
    const job = await ownJob(request, request.params.id);
    await jobs.remove(job.id);
    return reply.code(202).send();
  });

  app.get<{ Params: { id: string; file: string } }>('/$export-file/:id/:file', async (request, reply) => {
    const job = await ownJob(request, request.params.id);
    const file = job.output.find((candidate) => candidate.file === request.params.file);
    if (!file) throw new OperationOutcomeError(notFound);
    return reply.type('application/fhir+ndjson').send(Readable.from(jobs.read(job, file.file)));
  });
};
