// $receipt on a resource version: the anchoring proof once the version's batch is on chain
// (200, the receipt JSON as application/json), or 202 with Retry-After while it is pending.

import type { FhirContext, FhirRequest, FhirResult } from '../fhir-request.js';
import { admit } from '../interactions.js';
import { informational } from '../outcomes.js';

export const receiptDefinition = {
  resourceType: 'OperationDefinition',
  id: 'receipt',
  url: 'urn:careledger:fhir:OperationDefinition:receipt',
  name: 'Receipt',
  status: 'active',
  kind: 'operation',
  code: 'receipt',
  description:
    'GET [base]/[type]/[id]/_history/[vid]/$receipt. 200 with the receipt (application/json: canonicalization id, ' +
    'digest, salt, leaf index, tree size, audit path, batch root, member, sequence, chain, tx) once anchored; ' +
    '202 with Retry-After and an information OperationOutcome while the batch is pending.',
  system: false,
  type: false,
  instance: true,
  affectsState: false,
  parameter: [
    { name: 'return', use: 'out', min: 1, max: '1', type: 'Binary', documentation: 'The receipt JSON (returned as the raw body).' },
  ],
} as const;

export interface ReceiptResult {
  result: FhirResult;
  /** The receipt JSON when anchored. */
  receipt?: unknown;
  retryAfterSeconds?: number;
}

export async function receiptOperation(ctx: FhirContext, req: FhirRequest & { id: string; versionId: string }): Promise<ReceiptResult> {
  await admit(ctx, req, 'operation');
  const status = await ctx.service.receipt(req.type, req.id, req.versionId);
  if (status.status === 'anchored') {
    return { result: [informational('ok', 'Anchored')], receipt: status.receipt };
  }
  const outcome = informational('accepted', `Not anchored yet; retry in ${status.retryAfterSeconds} s`);
  return { result: [outcome], retryAfterSeconds: status.retryAfterSeconds };
}
