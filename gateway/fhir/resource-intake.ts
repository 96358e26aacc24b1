// Turns a request body into the R5 resource the service stores: shape checks, then for the R4
// base validateR4 -> convertR4toR5, then validateR5 when the options give one. Error issues
// reject with 400 before anything is stored; warning and information issues travel back to the
// client. The node gives none: its service is the intake pipeline (intake/pipeline.ts), which
// validates R5 for every writer, so validating here too would do the same work twice.

import { OperationOutcomeError } from '@medplum/core';
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import type { FhirResource } from '../store/service.js';
import type { R4Intake } from './options.js';
import { invalid, isErrorIssue } from './outcomes.js';

export interface PreparedResource {
  resource: FhirResource;
  warnings: OperationOutcomeIssue[];
}

export type PrepareResource = (body: unknown, expectedType: string) => Promise<PreparedResource>;

function collect(issues: readonly OperationOutcomeIssue[], warnings: OperationOutcomeIssue[], stage: string): void {
  if (issues.some(isErrorIssue)) throw new OperationOutcomeError(invalid(`${stage} failed`, issues));
  warnings.push(...issues);
}

function checkShape(body: unknown, expectedType: string): FhirResource {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new OperationOutcomeError(invalid('Request body must be a FHIR resource (a JSON object)'));
  }
  const { resourceType } = body as { resourceType?: unknown };
  if (typeof resourceType !== 'string') {
    throw new OperationOutcomeError(invalid('Resource has no resourceType', [], 'resourceType'));
  }
  if (resourceType !== expectedType) {
    throw new OperationOutcomeError(
      invalid(`resourceType ${resourceType} does not match the type in the URL (${expectedType})`, [], 'resourceType'),
    );
  }
  return body as FhirResource;
}

export function resourceIntake(
  fhirVersion: 'R5' | 'R4',
  r4: R4Intake,
  r5Validate: ((resource: FhirResource) => OperationOutcomeIssue[]) | undefined,
): PrepareResource {
  if (fhirVersion === 'R5') {
    return async (body, expectedType) => {
      const resource = checkShape(body, expectedType);
      const warnings: OperationOutcomeIssue[] = [];
      if (r5Validate) collect(r5Validate(resource), warnings, 'R5 validation');
      return { resource, warnings };
    };
  }
  return async (body, expectedType) => {
    const warnings: OperationOutcomeIssue[] = [];
    collect(await r4.validate(checkShape(body, expectedType)), warnings, 'R4 validation');
    const converted = r4.convert(body as FhirResource);
    collect(converted.issues, warnings, 'R4 to R5 conversion');
    if (r5Validate) collect(r5Validate(converted.resource), warnings, 'R5 validation of the converted resource');
    return { resource: converted.resource, warnings };
  };
}
