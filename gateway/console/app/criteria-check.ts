// The cohort criteria language checked in the browser as the researcher types, with the node's own
// validator and compiler (gateway/cohort/criteria.ts): what passes here compiles to the criteria
// the hospitals will prove against, and an error names the criterion and says what is wrong.
// Loaded with the Research view's first render, not with the console: it brings @medplum/core.
import { OperationOutcomeError } from '@medplum/core';
import { type CohortCriteria, type Criterion, compileCriteria, validateCriteria } from '../../cohort/criteria.js';
import { FEATURE_SCHEMA } from '../../cohort/feature-schema.js';
import { RECORD_FIELDS } from '../../cohort/record-encoding.js';

export type CriteriaCheck = { ok: true; criteria: CohortCriteria; reading: string[] } | { ok: false; message: string };

/** The lab fields a criterion may name, for the hint under the editor. */
export const LAB_FIELDS = RECORD_FIELDS.filter((f) => f !== 'birthDate' && f !== 'sex' && !f.endsWith('.date')).join(', ');

const OP_TEXT: Record<string, string> = { eq: '=', ne: '≠', lt: '<', lte: '≤', gt: '>', gte: '≥' };

function unitOf(field: string): string {
  const lab = FEATURE_SCHEMA.labs.find((l) => l.name === field);
  return lab ? ` ${lab.unit}` : '';
}

function read(c: Criterion): string {
  if ('ageAtDateBetween' in c) return `aged ${c.ageAtDateBetween.min} to ${c.ageAtDateBetween.max} on ${c.ageAtDateBetween.date}`;
  if ('hasAnyDiagnosis' in c) return `has any of the diagnoses ${c.hasAnyDiagnosis.map((d) => d.code).join(', ')}`;
  if ('hasNoDiagnosis' in c) return `has none of the diagnoses ${c.hasNoDiagnosis.map((d) => d.code).join(', ')}`;
  const unit = unitOf(c.field);
  if (c.op === 'between') return `${c.field} between ${c.values[0]} and ${c.values[1]}${unit}`;
  if (c.op === 'in') return `${c.field} is one of ${c.values.join(', ')}${unit}`;
  if (c.op === 'nin') return `${c.field} is none of ${c.values.join(', ')}${unit}`;
  return 'value' in c ? `${c.field} ${OP_TEXT[c.op] ?? c.op} ${c.value}${unit}` : c.field;
}

export function checkCriteria(text: string): CriteriaCheck {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: `Not JSON yet (${(error as Error).message}). The criteria are a JSON array of criteria, as in the example.` };
  }
  try {
    const criteria = validateCriteria(raw);
    compileCriteria(criteria);
    return { ok: true, criteria, reading: criteria.map(read) };
  } catch (error) {
    if (error instanceof OperationOutcomeError) return { ok: false, message: `${error.outcome.issue?.[0]?.details?.text ?? error.message}.` };
    throw error;
  }
}
