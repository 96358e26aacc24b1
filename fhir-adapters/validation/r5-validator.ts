import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { InvariantChecker } from './invariant-check.js';
import type { InvariantModel } from './invariant-extraction.js';
import r5Invariants from './r5-invariants.json' with { type: 'json' };
import { R5 } from './release-models.js';
import { validateStructure } from './structure-validator.js';

const invariants = new InvariantChecker(R5, r5Invariants as InvariantModel);

/**
 * Validation of an R5 resource (contained resources and Bundle entries included): its structure,
 * then, when the structure holds, the R5 FHIRPath invariants (r5-invariants.json).
 */
export function validateR5(resource: unknown): OperationOutcomeIssue[] {
  const issues = validateStructure(R5, resource);
  if (!issues.some((issue) => issue.severity === 'error')) invariants.check(resource, issues);
  return issues;
}
