import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { R5 } from './release-models.js';
import { validateStructure } from './structure-validator.js';

/** Structural validation of an R5 resource (contained resources and Bundle entries included). */
export function validateR5(resource: unknown): OperationOutcomeIssue[] {
  return validateStructure(R5, resource);
}
