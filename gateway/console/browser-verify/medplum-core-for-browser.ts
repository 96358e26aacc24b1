// What the browser chunks (the verifiers, the criteria check, the R4 converter) import from
// @medplum/core, for the console bundle (the console's vite config aliases @medplum/core to this
// file). Those modules use only the OperationOutcome error and its bad-request helper; the
// library's one-file build would bring ~12 KB gzip of FHIRPath, clients and caches with them.
// The shapes and messages match @medplum/core 4.5 exactly (medplum-core-for-browser.test.ts).
import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';

export function badRequest(details: string, expression?: string): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: [{ severity: 'error', code: 'invalid', details: { text: details }, ...(expression ? { expression: [expression] } : undefined) }],
  };
}

export function operationOutcomeIssueToString(issue: OperationOutcomeIssue): string {
  let text: string;
  if (issue.details?.text) text = issue.diagnostics ? `${issue.details.text} (${issue.diagnostics})` : issue.details.text;
  else text = issue.diagnostics ?? 'Unknown error';
  if (issue.expression?.length) text += ` (${issue.expression.join(', ')})`;
  return text;
}

export function operationOutcomeToString(outcome: OperationOutcome): string {
  const issues = outcome.issue?.map(operationOutcomeIssueToString) ?? [];
  return issues.length > 0 ? issues.join('; ') : 'Unknown error';
}

export class OperationOutcomeError extends Error {
  readonly outcome: OperationOutcome;

  constructor(outcome: OperationOutcome, cause?: unknown) {
    super(operationOutcomeToString(outcome));
    this.outcome = outcome;
    this.cause = cause;
  }
}
