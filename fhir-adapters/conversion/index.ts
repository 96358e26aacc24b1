export { convertR4toR5, type R4toR5Result } from './convert-r4-to-r5.js';
export type { R5Resource } from './converter.js';
export { R4_TO_R5_RULES } from './rule-table.js';
export type { ElementRule, RuleTable, TypeRules } from './rules.js';
export { XVER_URL_PREFIX, xverExtensionUrl } from './xver-extension.js';
