// OperationOutcomes the HTTP layer needs beyond @medplum/core's set, and the one place that
// turns an outcome into an HTTP status. Medplum's getStatus keys on the outcome id; the ids
// added here extend that convention so any layer can throw them as OperationOutcomeError.

import { getStatus } from '@medplum/core';
import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';

const EXTRA_STATUS: Record<string, number> = {
  'method-not-allowed': 405,
  'not-acceptable': 406,
  'payload-too-large': 413,
  'too-costly': 413,
  'unsupported-media-type': 415,
  'too-many-requests': 429,
};

export function outcomeStatus(outcome: OperationOutcome): number {
  return (outcome.id && EXTRA_STATUS[outcome.id]) || getStatus(outcome);
}

function errorOutcome(id: string | undefined, code: OperationOutcomeIssue['code'], text: string): OperationOutcome {
  return { resourceType: 'OperationOutcome', id, issue: [{ severity: 'error', code, details: { text } }] };
}

export function methodNotAllowed(method: string, allowed: readonly string[]): OperationOutcome {
  const allow = allowed.length ? `; allowed: ${allowed.join(', ')}` : '';
  return errorOutcome('method-not-allowed', 'not-supported', `Method ${method} is not allowed here${allow}`);
}

export function payloadTooLarge(limit: number): OperationOutcome {
  return errorOutcome('payload-too-large', 'too-costly', `Request body exceeds ${limit} bytes`);
}

/** More work than one request may ask for; the text says which limit and how to stay within it. */
export function tooCostly(text: string): OperationOutcome {
  return errorOutcome('too-costly', 'too-costly', text);
}

export function tooManyRequests(text: string): OperationOutcome {
  return errorOutcome('too-many-requests', 'throttled', text);
}

export function unsupportedMediaType(contentType: string | undefined): OperationOutcome {
  return errorOutcome(
    'unsupported-media-type',
    'not-supported',
    `Unsupported Content-Type ${contentType ?? '(none)'}; send application/fhir+json`,
  );
}

/** FHIR answers 404 for a resource type the server does not support. */
export function unknownResourceType(type: string): OperationOutcome {
  return errorOutcome('not-found', 'not-supported', `Resource type ${type} is not supported`);
}

export function noInteraction(method: string, url: string): OperationOutcome {
  return errorOutcome('not-found', 'not-found', `No FHIR interaction at ${method} ${url.slice(0, 200)}`);
}

export function internalError(): OperationOutcome {
  return errorOutcome(undefined, 'exception', 'Internal server error');
}

export function informational(id: string | undefined, text: string, extra: readonly OperationOutcomeIssue[] = []): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    id,
    issue: [{ severity: 'information', code: 'informational', details: { text } }, ...extra],
  };
}

export function invalid(text: string, issues: readonly OperationOutcomeIssue[] = [], expression?: string): OperationOutcome {
  const first: OperationOutcomeIssue = { severity: 'error', code: 'invalid', details: { text } };
  if (expression) first.expression = [expression];
  return { resourceType: 'OperationOutcome', issue: [first, ...issues] };
}

export function isErrorIssue(issue: OperationOutcomeIssue): boolean {
  return issue.severity === 'error' || issue.severity === 'fatal';
}
