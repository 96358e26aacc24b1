// Bulk Data export for the test EHR (Medplum's router has none): kick-off snapshots the
// repository, status answers 202 with Retry-After / X-Progress for a configured number of polls
// and then 200 with the manifest, files are NDJSON, and DELETE removes the job. Levels: system,
// Patient (everything in any patient's compartment) and Group (its members' compartments).

import { randomUUID } from 'node:crypto';
import type { Resource } from '@medplum/fhirtypes';
import type { HistoryRecordingRepository } from './history-repository.js';

export type ExportLevel = { kind: 'system' } | { kind: 'patient' } | { kind: 'group'; id: string };

export interface EhrExportSettings {
  /** Status polls answered 202 before the manifest. Default 1. */
  pollsBeforeReady: number;
  /** Retry-After on 202 answers, seconds. Default 1. */
  retryAfterSeconds: number;
  /** Lines per NDJSON file (a type with more gets several files). Default 1000. */
  linesPerFile: number;
}

interface Job {
  request: string;
  transactionTime: string;
  polls: number;
  files: Array<{ type: string; lines: string[] }>;
}

export interface ExportAnswer {
  status: number;
  headers: Record<string, string>;
  body?: unknown;
}

const PATIENT_REFERENCES = ['subject', 'patient', 'beneficiary'];

export class EhrBulkExport {
  private readonly jobs = new Map<string, Job>();

  constructor(
    private readonly repo: HistoryRecordingRepository,
    private readonly baseUrl: string,
    readonly settings: EhrExportSettings,
  ) {}

  async kickOff(level: ExportLevel, query: URLSearchParams, requestUrl: string, prefer: string | undefined): Promise<ExportAnswer> {
    if (!/respond-async/.test(prefer ?? '')) return outcome(400, 'Prefer: respond-async is required for $export');
    const format = query.get('_outputFormat');
    if (format && !['application/fhir+ndjson', 'application/ndjson', 'ndjson'].includes(format)) {
      return outcome(400, `_outputFormat ${format} is not supported`);
    }
    const since = query.get('_since');
    const sinceMs = since ? Date.parse(since) : undefined;
    if (sinceMs !== undefined && Number.isNaN(sinceMs)) return outcome(400, `_since ${since} is not an instant`);
    const types = query.get('_type')?.split(',').filter(Boolean) ?? this.repo.resourceTypes();
    const transactionTime = new Date().toISOString();

    let patients: Set<string> | undefined;
    if (level.kind === 'group') {
      const group = (await this.repo.current('Group')).find((candidate) => candidate.id === level.id) as
        | { member?: Array<{ entity?: { reference?: string } }> }
        | undefined;
      if (!group) return outcome(404, `Group/${level.id} not found`);
      patients = new Set((group.member ?? []).map((member) => member.entity?.reference ?? '').filter((ref) => ref.startsWith('Patient/')));
    }

    const files: Job['files'] = [];
    for (const type of types) {
      const lines = (await this.repo.current(type))
        .filter((resource) => sinceMs === undefined || Date.parse(resource.meta?.lastUpdated ?? '') >= sinceMs)
        .filter((resource) => level.kind === 'system' || inCompartment(resource, patients))
        .map((resource) => JSON.stringify(resource));
      for (let start = 0; start < lines.length; start += this.settings.linesPerFile) {
        files.push({ type, lines: lines.slice(start, start + this.settings.linesPerFile) });
      }
    }
    const id = randomUUID();
    this.jobs.set(id, { request: requestUrl, transactionTime, polls: 0, files });
    return { status: 202, headers: { 'content-location': `${this.baseUrl}/$export-status/${id}` } };
  }

  status(id: string): ExportAnswer {
    const job = this.jobs.get(id);
    if (!job) return outcome(404, `no export job ${id}`);
    if (job.polls < this.settings.pollsBeforeReady) {
      job.polls++;
      return {
        status: 202,
        headers: { 'retry-after': String(this.settings.retryAfterSeconds), 'x-progress': `preparing (${job.polls}/${this.settings.pollsBeforeReady})` },
      };
    }
    return {
      status: 200,
      headers: { 'content-type': 'application/json', expires: new Date(Date.now() + 3_600_000).toUTCString() },
      body: {
        transactionTime: job.transactionTime,
        request: job.request,
        requiresAccessToken: true,
        output: job.files.map((file, index) => ({ type: file.type, url: `${this.baseUrl}/$export-file/${id}/${index}`, count: file.lines.length })),
        error: [],
      },
    };
  }

  file(id: string, index: number): string[] | undefined {
    return this.jobs.get(id)?.files[index]?.lines;
  }

  delete(id: string): ExportAnswer {
    return this.jobs.delete(id) ? { status: 202, headers: {} } : outcome(404, `no export job ${id}`);
  }

  get jobCount(): number {
    return this.jobs.size;
  }
}

function inCompartment(resource: Resource, patients: Set<string> | undefined): boolean {
  const references =
    resource.resourceType === 'Patient'
      ? [`Patient/${resource.id}`]
      : PATIENT_REFERENCES.map((element) => (resource as unknown as Record<string, { reference?: string } | undefined>)[element]?.reference ?? '');
  return references.some((reference) => reference.startsWith('Patient/') && (patients === undefined || patients.has(reference)));
}

function outcome(status: number, text: string): ExportAnswer {
  return {
    status,
    headers: { 'content-type': 'application/fhir+json' },
    body: { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: status === 404 ? 'not-found' : 'invalid', diagnostics: text }] },
  };
}
