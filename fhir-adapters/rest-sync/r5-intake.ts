// The step every pull or push adapter shares before IntakePort: bring a resource to R5 (R4 goes
// through convertR4toR5; conversion errors reject it with an OperationOutcome, warnings pass).
// Rejections are values, so an adapter decides per source what a bad resource means (skip and
// report for REST/Bulk, dead-letter for Kafka, 4xx for a push).

import { OperationOutcomeError, badRequest, getStatus } from '@medplum/core';
import type { OperationOutcome } from '@medplum/fhirtypes';
import { convertR4toR5 } from '../conversion/index.js';
import type { IntakeItemResult, IntakePort } from '../../gateway/intake/port.js';
import type { FhirResource } from '../../gateway/store/service.js';

export type FhirVersion = 'R4' | 'R5';

export type R5Conversion = { ok: true; resource: FhirResource } | { ok: false; outcome: OperationOutcome; status: number };

export function toR5(resource: unknown, version: FhirVersion): R5Conversion {
  if (typeof resource !== 'object' || resource === null || Array.isArray(resource)) {
    return reject(badRequest('not a FHIR resource (a JSON object)'));
  }
  const candidate = resource as FhirResource;
  if (typeof candidate.resourceType !== 'string') return reject(badRequest('resource has no resourceType'));
  if (typeof candidate.id !== 'string' || candidate.id === '') {
    return reject(badRequest(`${candidate.resourceType} has no id: adapters keep the EHR's ids`));
  }
  if (version === 'R5') return { ok: true, resource: candidate };
  try {
    const converted = convertR4toR5(candidate);
    const errors = converted.issues.filter((issue) => issue.severity === 'error' || issue.severity === 'fatal');
    if (errors.length > 0) return reject({ resourceType: 'OperationOutcome', issue: errors });
    return { ok: true, resource: converted.resource as FhirResource };
  } catch (error) {
    if (error instanceof OperationOutcomeError) return reject(error.outcome);
    throw error;
  }
}

function reject(outcome: OperationOutcome): R5Conversion {
  const status = outcome.id ? getStatus(outcome) : 400;
  return { ok: false, outcome: { ...outcome, resourceType: 'OperationOutcome' }, status };
}

export interface IngestReport {
  /** New versions journaled (created or updated). */
  stored: number;
  unchanged: number;
  rejected: Array<{ reference: string; status: number; outcome: OperationOutcome }>;
}

export function emptyReport(): IngestReport {
  return { stored: 0, unchanged: 0, rejected: [] };
}

export function mergeReport(into: IngestReport, from: IngestReport): IngestReport {
  into.stored += from.stored;
  into.unchanged += from.unchanged;
  into.rejected.push(...from.rejected);
  return into;
}

/**
 * Converts and submits one chunk; resolves once every accepted resource is durable. Throws only
 * when the node itself failed (nothing can be assumed stored then, and the caller must not
 * acknowledge upstream).
 */
export async function ingest(
  intake: IntakePort,
  resources: readonly unknown[],
  options: { version: FhirVersion; source: string },
): Promise<IngestReport> {
  const report = emptyReport();
  const items: Array<{ resource: FhirResource }> = [];
  for (const resource of resources) {
    const converted = toR5(resource, options.version);
    if (converted.ok) items.push({ resource: converted.resource });
    else report.rejected.push({ reference: referenceOf(resource), status: converted.status, outcome: converted.outcome });
  }
  if (items.length === 0) return report;
  const results = await intake.submit(items, { source: options.source });
  results.forEach((result: IntakeItemResult, index) => {
    if (!result.ok) {
      report.rejected.push({
        reference: referenceOf(items[index]!.resource),
        status: result.status,
        outcome: result.outcome as OperationOutcome,
      });
    } else if (result.result.outcome === 'unchanged' || result.result.outcome === 'existing') report.unchanged++;
    else report.stored++;
  });
  return report;
}

function referenceOf(resource: unknown): string {
  const { resourceType, id } = (typeof resource === 'object' && resource !== null ? resource : {}) as { resourceType?: unknown; id?: unknown };
  return `${typeof resourceType === 'string' ? resourceType : '?'}/${typeof id === 'string' ? id : '?'}`;
}
