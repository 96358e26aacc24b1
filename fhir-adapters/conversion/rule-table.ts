import { administrationRules } from './maps/administration.js';
import { clinicalRules } from './maps/clinical.js';
import { datatypeRules } from './maps/datatypes.js';
import { documentRules } from './maps/documents.js';
import { financialRules } from './maps/financial.js';
import { medicationRules } from './maps/medication.js';
import { securityRules } from './maps/security.js';
import { workflowRules } from './maps/workflow.js';
import type { RuleTable } from './rules.js';

/** Every R4 -> R5 rule, one table (keys are disjoint R4 type names). */
export const R4_TO_R5_RULES: RuleTable = {
  ...datatypeRules,
  ...administrationRules,
  ...clinicalRules,
  ...medicationRules,
  ...workflowRules,
  ...documentRules,
  ...financialRules,
  ...securityRules,
};
