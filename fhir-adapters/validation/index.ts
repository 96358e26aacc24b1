export { validateR4, loadR4Definitions } from './r4-validator.mjs';
export { validateR4Structure } from './r4-structure-validator.js';
export { validateR5 } from './r5-validator.js';
export { R4_SOURCE, R5_SOURCE } from './definition-sources.js';
export type { CompactModel, ModelElement, ModelType } from './model.js';
