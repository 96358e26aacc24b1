// Streams NDJSON files into a node as FHIR batch Bundles of PUTs. PUT keeps the EHR's ids and,
// with the node treating identical content as unchanged, makes a re-run after a failure safe:
// nothing is stored or anchored twice.

import { createReadStream, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface ImportTarget {
  /** e.g. http://localhost:8080/fhir/R4 for R4 files, http://localhost:8080/fhir for R5. */
  fhirBase: string;
  token: () => Promise<string>;
}

export interface ImportOptions {
  bundleSize: number;
  concurrency: number;
  onProgress?: (summary: ImportSummary, totalLines: number | undefined) => void;
}

export interface ImportSummary {
  sent: number;
  created: number;
  updated: number;
  unchanged: number;
  /** Lines that are JSON but not resources, such as a Bulk Data export's log.ndjson. */
  skipped: number;
  failed: number;
  failures: Array<{ file: string; line: number; status: string; message: string }>;
  seconds: number;
}

interface PendingEntry {
  file: string;
  line: number;
  /** The line as read: the Bundle carries the EHR's bytes, not a re-serialization of them. */
  text: string;
  request: { method: 'PUT' | 'POST'; url: string };
}

const MAX_REPORTED_FAILURES = 20;
const RETRIES = 5;

export function ndjsonFiles(path: string): string[] {
  if (statSync(path).isFile()) return [path];
  return readdirSync(path)
    .filter((name) => name.endsWith('.ndjson') || name.endsWith('.jsonl'))
    .sort()
    .map((name) => join(path, name));
}

async function countLines(files: string[]): Promise<number> {
  let lines = 0;
  for (const file of files) {
    for await (const chunk of createReadStream(file)) {
      for (const byte of chunk as Buffer) if (byte === 10) lines++;
    }
  }
  return lines;
}

export async function importNdjson(files: string[], target: ImportTarget, options: ImportOptions): Promise<ImportSummary> {
  const started = Date.now();
  const summary: ImportSummary = { sent: 0, created: 0, updated: 0, unchanged: 0, skipped: 0, failed: 0, failures: [], seconds: 0 };
  const totalLines = options.onProgress ? await countLines(files) : undefined;
  const inFlight = new Set<Promise<void>>();
  let bundle: PendingEntry[] = [];

  const dispatch = async (entries: PendingEntry[]): Promise<void> => {
    const task = sendBundle(entries, target, summary).then(() => {
      inFlight.delete(task);
      options.onProgress?.(summary, totalLines);
    });
    inFlight.add(task);
    if (inFlight.size >= options.concurrency) await Promise.race(inFlight);
  };

  for (const file of files) {
    const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
    let lineNumber = 0;
    for await (const text of lines) {
      lineNumber++;
      if (text.trim() === '') continue;
      let resource: { resourceType?: unknown; id?: unknown };
      try {
        resource = JSON.parse(text) as typeof resource;
      } catch {
        recordFailure(summary, { file, line: lineNumber, status: 'invalid-json', message: 'the line is not JSON' });
        continue;
      }
      if (typeof resource?.resourceType !== 'string') {
        summary.skipped++;
        continue;
      }
      const request =
        typeof resource.id === 'string'
          ? { method: 'PUT' as const, url: `${resource.resourceType}/${resource.id}` }
          : { method: 'POST' as const, url: resource.resourceType };
      bundle.push({ file, line: lineNumber, text, request });
      if (bundle.length >= options.bundleSize) {
        await dispatch(bundle);
        bundle = [];
      }
    }
  }
  if (bundle.length > 0) await dispatch(bundle);
  await Promise.all(inFlight);
  summary.seconds = (Date.now() - started) / 1000;
  return summary;
}

async function sendBundle(entries: PendingEntry[], target: ImportTarget, summary: ImportSummary): Promise<void> {
  // Each line parsed as JSON when it was read, so splicing the lines in makes valid JSON and saves
  // serializing every resource again.
  const body = `{"resourceType":"Bundle","type":"batch","entry":[${entries
    .map(({ text, request }) => `{"resource":${text},"request":${JSON.stringify(request)}}`)
    .join(',')}]}`;
  const response = await postWithRetry(target, body);
  summary.sent += entries.length;
  const reply = (await response.json()) as {
    resourceType?: string;
    entry?: Array<{ response?: { status?: string; outcome?: { issue?: Array<{ diagnostics?: string; details?: { text?: string } }> } } }>;
    issue?: Array<{ diagnostics?: string; details?: { text?: string } }>;
  };
  if (!response.ok || reply.resourceType !== 'Bundle') {
    const message = reply.issue?.map((issue) => issue.diagnostics ?? issue.details?.text).join('; ') ?? response.statusText;
    for (const entry of entries) recordFailure(summary, { file: entry.file, line: entry.line, status: String(response.status), message });
    return;
  }
  reply.entry?.forEach((entry, index) => {
    const status = entry.response?.status ?? '';
    if (status.startsWith('201')) summary.created++;
    else if (status.startsWith('200')) {
      // The node marks content identical to the stored version with this outcome.
      const unchanged = entry.response?.outcome?.issue?.some((issue) => /unchanged/i.test(issue.diagnostics ?? issue.details?.text ?? ''));
      if (unchanged) summary.unchanged++;
      else summary.updated++;
    } else {
      const source = entries[index]!;
      const message = entry.response?.outcome?.issue?.map((issue) => issue.diagnostics ?? issue.details?.text).join('; ') ?? '';
      recordFailure(summary, { file: source.file, line: source.line, status, message });
    }
  });
}

async function postWithRetry(target: ImportTarget, body: string): Promise<Response> {
  let delay = 250;
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await fetch(target.fhirBase, {
        method: 'POST',
        // return=OperationOutcome: each entry then says whether it was created, updated or unchanged.
        headers: {
          'content-type': 'application/fhir+json',
          prefer: 'return=OperationOutcome',
          authorization: `Bearer ${await target.token()}`,
        },
        body,
      });
      if (response.status < 500 && response.status !== 429) return response;
      if (attempt >= RETRIES) return response;
    } catch (error) {
      if (attempt >= RETRIES) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay *= 2;
  }
}

function recordFailure(summary: ImportSummary, failure: ImportSummary['failures'][number]): void {
  summary.failed++;
  if (summary.failures.length < MAX_REPORTED_FAILURES) summary.failures.push(failure);
}
