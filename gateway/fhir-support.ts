// The node's FHIR model: which R5 resource types it stores, and the validators and converter
// its intake uses, all from fhir-adapters (driven by the published R4 and R5 definitions).

import { R5 } from '../fhir-adapters/validation/release-models.js';

export { convertR4toR5 } from '../fhir-adapters/conversion/index.js';
// From its own module, not validation/index.js: that one also loads the R4 validator (a second,
// patched @medplum/core), which only the validation worker threads need.
export { validateR5 } from '../fhir-adapters/validation/r5-validator.js';

/** Every concrete R5 resource type. */
export const R5_RESOURCE_TYPES: ReadonlySet<string> = new Set(
  [...R5.types.values()].filter((type) => type.kind === 'resource' && !type.abstract).map((type) => type.name),
);
