// Full R4 validation with @medplum/core. Plain JavaScript (typed by r4-validator.d.mts) so the
// validation worker threads load it without the TypeScript loader, which would cost each
// thread a loader thread and its memory.
import { createRequire } from 'node:module';
import { loadValidationCore } from './medplum-core.mjs';

const require = createRequire(import.meta.url);

// medplum's validator with performance patches that leave its results unchanged (medplum-core.mjs).
const validation = await loadValidationCore();
if (!validation.patched) console.warn(`careledger: R4 validation runs on unpatched @medplum/core (slower): ${validation.reason}`);
const { OperationOutcomeError, indexStructureDefinitionBundle, validateResource } = validation.core;

/** Whether R4 validation runs with the performance patches, and if not, why. */
export const validationCore = { patched: validation.patched, reason: validation.reason };

let indexed = false;

/**
 * Indexes the R4 base definitions into medplum's type registry. Idempotent and cheap after the
 * first call. Reads the committed, documentation-free copy (generate-models.ts), not the 37 MB
 * originals: same StructureDefinitions, a fraction of the memory.
 */
export function loadR4Definitions() {
  if (indexed) return;
  indexStructureDefinitionBundle(require('./r4-validation-definitions.json'));
  indexed = true;
}

/**
 * Structure, cardinality, primitive formats, fixed and pattern values, slicing, reference target
 * types and FHIRPath invariants (medplum skips ele-1, dom-3, org-1, sdf-19). Returns every issue;
 * errors do not throw.
 */
export function validateR4(resource) {
  loadR4Definitions();
  if (typeof resource !== 'object' || resource === null || Array.isArray(resource)) {
    return [invalid('A resource must be a JSON object', 'Resource')];
  }
  try {
    return validateResource(resource);
  } catch (err) {
    if (err instanceof OperationOutcomeError) return err.outcome.issue ?? [];
    return [invalid(err instanceof Error ? err.message : String(err), String(resource.resourceType ?? 'Resource'))];
  }
}

function invalid(text, expression) {
  return { severity: 'error', code: 'invalid', details: { text }, expression: [expression] };
}
