// Bulk Data import: kick off `$export` at an EHR (system, Patient or Group level), wait for it
// honouring Retry-After, then stream each NDJSON output line by line into IntakePort in chunks
// (R4 converted to R5). After each chunk is durable the file's line offset is saved, so a restarted
// import with the same parameters reuses the same export and skips what is already in. At the
// end the export is deleted at the server (DELETE on the status URL) and the job row removed.

import { OperationOutcomeError, badRequest } from '@medplum/core';
import { DEFAULT_MAX_JSON_DEPTH, jsonDepthExceeds } from '../../gateway/fhir/json-depth.js';
import type { IntakePort } from '../../gateway/intake/port.js';
import { FhirHttpClient, FhirHttpError, parseRetryAfter, sleep, type RetryPolicy } from '../rest-sync/fhir-http-client.js';
import { emptyReport, ingest, mergeReport, type FhirVersion, type IngestReport } from '../rest-sync/r5-intake.js';
import type { AccessTokenSource } from '../rest-sync/smart-backend-auth.js';
import type { BulkManifest, ImportJob, ImportJobTable } from './import-job-table.js';
import { ndjsonLines } from './ndjson-lines.js';

export interface BulkImportOptions {
  /** The kick-off URL: `<base>/$export`, `<base>/Patient/$export` or `<base>/Group/<id>/$export`. */
  from: string;
  auth?: AccessTokenSource;
  intake: IntakePort;
  /** Where the import's progress is kept (gateway/store/bulk-import-job-store.ts). */
  jobs: ImportJobTable;
  /** Of the exported NDJSON. Default R4. */
  fhirVersion?: FhirVersion;
  /** `_type`. */
  types?: readonly string[];
  /** `_since` (an instant). */
  since?: string;
  /** Resources per IntakePort.submit. Default 500. */
  chunkSize?: number;
  /** Wait between status polls when the server sends no Retry-After. Default 2 s. */
  defaultPollMs?: number;
  /** Ceiling for one wait between polls. Default 60 s. */
  maxPollMs?: number;
  retry?: Partial<RetryPolicy>;
  onProgress?: (progress: BulkProgress) => void;
  /** Stops the import between chunks; it resumes on the next run. */
  signal?: AbortSignal;
}

export interface BulkProgress {
  phase: 'exporting' | 'importing' | 'done';
  /** The server's X-Progress while exporting. */
  serverProgress?: string;
  filesTotal: number;
  filesDone: number;
  /** Sum of the manifest's `count`s when the server gives them. */
  resourcesTotal?: number;
  /** Lines read so far, including those a resumed run skipped. */
  resourcesDone: number;
  report: IngestReport;
}

export interface BulkImportResult extends IngestReport {
  transactionTime: string;
  files: number;
  /** True when this run continued an import a previous run had started. */
  resumed: boolean;
  /** URLs of the export's error files (OperationOutcome NDJSON), not ingested. */
  errorFiles: string[];
}

export async function runBulkImport(options: BulkImportOptions): Promise<BulkImportResult> {
  const { jobs } = options;
  const kickOffUrl = withParameters(options);
  const origin = new URL(kickOffUrl).origin;
  const client = new FhirHttpClient({ baseUrl: origin, auth: options.auth, retry: options.retry });
  const report = emptyReport();
  const progress: BulkProgress = { phase: 'exporting', filesTotal: 0, filesDone: 0, resourcesDone: 0, report };
  const emit = () => options.onProgress?.({ ...progress, report: { ...report, rejected: [...report.rejected] } });

  let job = await jobs.find(kickOffUrl);
  const resumed = job !== undefined;
  if (job && !job.manifest && !(await stillThere(client, job))) {
    await jobs.remove(job.id);
    job = undefined;
  }
  job ??= await jobs.create(kickOffUrl, await kickOff(client, kickOffUrl));
  const manifest = job.manifest ?? (await awaitManifest(client, job, options, (text) => {
    progress.serverProgress = text;
    emit();
  }));
  if (!job.manifest) {
    await jobs.setManifest(job.id, manifest);
    job.manifest = manifest;
  }

  progress.phase = 'importing';
  progress.filesTotal = manifest.output.length;
  const counts = manifest.output.map((output) => output.count);
  if (counts.every((count) => typeof count === 'number')) progress.resourcesTotal = counts.reduce((a, b) => a! + b!, 0);
  emit();
  for (const [index, output] of manifest.output.entries()) {
    const { linesDone, complete } = await jobs.progress(job.id, index);
    if (complete) {
      progress.resourcesDone += output.count ?? linesDone;
    } else {
      await importFile(client, job, jobs, index, output.url, linesDone, manifest.requiresAccessToken, options, (lines, chunk) => {
        progress.resourcesDone += lines;
        if (chunk) mergeReport(report, chunk);
        emit();
      });
    }
    progress.filesDone++;
    emit();
  }

  const done = await client.request(job.statusUrl, { method: 'DELETE' });
  await done.body?.cancel();
  await jobs.remove(job.id);
  progress.phase = 'done';
  emit();
  return {
    ...report,
    transactionTime: manifest.transactionTime,
    files: manifest.output.length,
    resumed,
    errorFiles: (manifest.error ?? []).map((file) => file.url),
  };
}

function withParameters(options: BulkImportOptions): string {
  const url = new URL(options.from);
  if (!/\/\$export$/.test(url.pathname)) throw new OperationOutcomeError(badRequest(`${options.from} is not a $export kick-off URL`));
  if (options.types?.length) url.searchParams.set('_type', options.types.join(','));
  if (options.since) url.searchParams.set('_since', options.since);
  return url.href;
}

async function kickOff(client: FhirHttpClient, url: string): Promise<string> {
  const response = await client.request(url, { headers: { accept: 'application/fhir+json', prefer: 'respond-async' } });
  const body = await response.text();
  const location = response.headers.get('content-location');
  if (response.status !== 202 || !location) throw new FhirHttpError(response.status, url, safeJson(body));
  return new URL(location, url).href;
}

/** False when the server no longer knows the export (expired or deleted): start a new one. */
async function stillThere(client: FhirHttpClient, job: ImportJob): Promise<boolean> {
  const response = await client.request(job.statusUrl, { headers: { accept: 'application/json' } });
  await response.body?.cancel();
  return response.status !== 404 && response.status !== 410;
}

async function awaitManifest(
  client: FhirHttpClient,
  job: ImportJob,
  options: BulkImportOptions,
  onServerProgress: (text: string | undefined) => void,
): Promise<BulkManifest> {
  for (;;) {
    if (options.signal?.aborted) throw abortError();
    const response = await client.request(job.statusUrl, { headers: { accept: 'application/json' } });
    if (response.status === 202) {
      await response.body?.cancel();
      onServerProgress(response.headers.get('x-progress') ?? undefined);
      const wait = parseRetryAfter(response.headers.get('retry-after')) ?? options.defaultPollMs ?? 2000;
      await sleep(Math.min(wait, options.maxPollMs ?? 60_000), options.signal);
      continue;
    }
    const body = safeJson(await response.text());
    if (response.status !== 200) throw new FhirHttpError(response.status, job.statusUrl, body);
    return body as BulkManifest;
  }
}

async function importFile(
  client: FhirHttpClient,
  job: ImportJob,
  jobs: ImportJobTable,
  index: number,
  url: string,
  linesDone: number,
  requiresAccessToken: boolean,
  options: BulkImportOptions,
  onChunk: (lines: number, report: IngestReport | undefined) => void,
): Promise<void> {
  // A token goes only where the manifest says one is needed: output may live on another host.
  const response = await client.request(url, { headers: { accept: 'application/fhir+ndjson' }, authenticate: requiresAccessToken });
  if (!response.ok || !response.body) throw new FhirHttpError(response.status, url, safeJson(await response.text()));
  if (linesDone > 0) onChunk(linesDone, undefined);
  const chunkSize = options.chunkSize ?? 500;
  const source = `bulk:${new URL(job.kickOffUrl).host}`;
  let chunk: unknown[] = [];
  let lines = linesDone;
  let chunkLines = 0;
  const flush = async (complete: boolean) => {
    const report = await ingest(options.intake, chunk, { version: options.fhirVersion ?? 'R4', source });
    await jobs.saveProgress(job.id, index, lines, complete);
    onChunk(chunkLines, report);
    chunk = [];
    chunkLines = 0;
  };
  try {
    for await (const { line, text } of ndjsonLines(response.body)) {
      if (line < linesDone) continue;
      lines = line + 1;
      chunkLines++;
      // A line nested deeper than any FHIR resource stays text: the chunk reports it as not a
      // resource instead of the recursive R4 validator overflowing on it.
      if (text.trim() !== '') chunk.push(jsonDepthExceeds(text, DEFAULT_MAX_JSON_DEPTH) ? text : safeJson(text));
      if (chunk.length >= chunkSize) {
        await flush(false);
        if (options.signal?.aborted) throw abortError();
      }
    }
    await flush(true);
  } finally {
    await response.body.cancel().catch(() => undefined);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function abortError(): Error {
  return Object.assign(new Error('bulk import stopped; run it again to resume'), { name: 'AbortError' });
}
