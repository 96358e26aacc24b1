// What a FHIR base serves: JSON only. A client that accepts only another format (FHIR XML,
// Turtle, HTML) gets 406 with an OperationOutcome (in JSON, the one format there is), as R5's
// http page says, rather than a 200 in a format it did not ask for. `_format` overrides Accept,
// as a general parameter, and is honoured under any `Prefer: handling`.

import { OperationOutcomeError } from '@medplum/core';
import type { OperationOutcome } from '@medplum/fhirtypes';

const JSON_RANGES: ReadonlySet<string> = new Set([
  '*/*',
  'application/*',
  'application/json',
  'application/fhir+json',
  'application/json+fhir',
  'json',
]);

function notAcceptable(asked: string): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    id: 'not-acceptable',
    issue: [
      {
        severity: 'error',
        code: 'not-supported',
        details: { text: `This node serves FHIR JSON only, and ${asked} does not accept it: send Accept: application/fhir+json or _format=json` },
      },
    ],
  };
}

/** Media ranges of an Accept header with q > 0, without parameters. */
function acceptedRanges(accept: string): string[] {
  return accept
    .split(',')
    .map((part) => part.split(';'))
    .filter(([, ...params]) => !params.some((param) => /^\s*q\s*=\s*0(\.0*)?\s*$/.test(param)))
    .map(([range]) => range!.trim().toLowerCase())
    .filter((range) => range.length > 0);
}

/** Throws a 406 OperationOutcomeError when neither `_format` nor Accept admits JSON. */
export function checkAcceptable(accept: string | undefined, format: string | null): void {
  if (format !== null) {
    if (!JSON_RANGES.has(format.split(';')[0]!.trim().toLowerCase())) throw new OperationOutcomeError(notAcceptable(`_format=${format}`));
    return;
  }
  if (!accept) return;
  const ranges = acceptedRanges(accept);
  if (ranges.length > 0 && !ranges.some((range) => JSON_RANGES.has(range))) throw new OperationOutcomeError(notAcceptable(`Accept: ${accept}`));
}
