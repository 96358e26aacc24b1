import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { R4 } from './release-models.js';
import { validateStructure } from './structure-validator.js';

/**
 * Fast R4 structural check with the same engine as validateR5 (no FHIRPath invariants, no
 * reference-target or slicing checks): the cheap gate when full medplum validation is too slow.
 */
export function validateR4Structure(resource: unknown): OperationOutcomeIssue[] {
  return validateStructure(R4, resource);
}
