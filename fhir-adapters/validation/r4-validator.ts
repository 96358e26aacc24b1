import { createRequire } from 'node:module';
import { OperationOutcomeError, indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import type { Bundle, OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';

const require = createRequire(import.meta.url);

let indexed = false;

/**
 * Indexes the R4 base definitions into medplum's type registry. Idempotent and cheap after
 * the first call. Reads the committed, documentation-free copy (generate-models.ts), not the
 * 37 MB originals: same StructureDefinitions, a fraction of the memory.
 */
export function loadR4Definitions(): void {
  if (indexed) return;
  indexStructureDefinitionBundle(require('./r4-validation-definitions.json') as Bundle);
  indexed = true;
}

/**
 * Full R4 validation with @medplum/core: structure, cardinality, primitive formats, fixed and
 * pattern values, slicing, reference target types and FHIRPath invariants (medplum skips
 * ele-1, dom-3, org-1, sdf-19). Returns every issue; errors do not throw.
 */
export function validateR4(resource: unknown): OperationOutcomeIssue[] {
  loadR4Definitions();
  if (typeof resource !== 'object' || resource === null || Array.isArray(resource)) {
    return [invalid('A resource must be a JSON object', 'Resource')];
  }
  try {
    return validateResource(resource as Resource);
  } catch (err) {
    if (err instanceof OperationOutcomeError) return err.outcome.issue ?? [];
    const resourceType = (resource as { resourceType?: unknown }).resourceType;
    return [invalid(err instanceof Error ? err.message : String(err), String(resourceType ?? 'Resource'))];
  }
}

function invalid(text: string, expression: string): OperationOutcomeIssue {
  return { severity: 'error', code: 'invalid', details: { text }, expression: [expression] };
}
