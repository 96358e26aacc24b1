// $verify-anchor: checks a resource against its receipt (recomputed digest, Merkle path, root on
// chain, anchoring member). The verification itself is injected (gateway/receipts/verify.ts);
// this file owns the Parameters in and out.

import { badRequest, OperationOutcomeError } from '@medplum/core';
import type { FastifyRequest } from 'fastify';
import type { FhirResource } from '../../store/service.js';
import type { Authorize } from '../authorize.js';

export interface AnchorCheck {
  name: string;
  passed: boolean;
  /** Not run: not configured. */
  skipped?: boolean;
  /** Passed, but something changed since (the anchoring member was removed). */
  warning?: boolean;
  detail?: string;
}

export interface VerifyAnchorResult {
  valid: boolean;
  failedCheck?: string;
  reason?: string;
  checks: AnchorCheck[];
}

export type VerifyAnchor = (resource: FhirResource, receipt: unknown) => VerifyAnchorResult | Promise<VerifyAnchorResult>;

export const verifyAnchorDefinition = {
  resourceType: 'OperationDefinition',
  id: 'verify-anchor',
  url: 'urn:careledger:fhir:OperationDefinition:verify-anchor',
  name: 'VerifyAnchor',
  status: 'active',
  kind: 'operation',
  code: 'verify-anchor',
  description:
    'POST [base]/$verify-anchor with a Parameters holding the R5 resource and its receipt. Always 200 when the ' +
    'input is well formed and the chain answers; the answer is in `valid`. 504 with Retry-After when the chain ' +
    'does not answer within the node\'s chain deadline (CHAIN_TIMEOUT_MS).',
  system: true,
  type: false,
  instance: false,
  affectsState: false,
  parameter: [
    { name: 'resource', use: 'in', min: 1, max: '1', type: 'Resource', documentation: 'The R5 resource version to verify.' },
    { name: 'receipt', use: 'in', min: 1, max: '1', type: 'string', documentation: 'Receipt JSON as valueString, or valueAttachment (data, base64).' },
    { name: 'valid', use: 'out', min: 1, max: '1', type: 'boolean' },
    { name: 'failedCheck', use: 'out', min: 0, max: '1', type: 'code', documentation: 'First check that failed.' },
    { name: 'reason', use: 'out', min: 0, max: '1', type: 'string' },
    {
      name: 'check',
      use: 'out',
      min: 0,
      max: '*',
      documentation: 'One per check run, in order.',
      part: [
        { name: 'name', use: 'out', min: 1, max: '1', type: 'code' },
        { name: 'passed', use: 'out', min: 1, max: '1', type: 'boolean' },
        { name: 'skipped', use: 'out', min: 0, max: '1', type: 'boolean', documentation: 'Present and true when the check was not run.' },
        { name: 'warning', use: 'out', min: 0, max: '1', type: 'boolean', documentation: 'Present and true when the check holds but something changed since (the member was removed).' },
        { name: 'detail', use: 'out', min: 0, max: '1', type: 'string' },
      ],
    },
  ],
} as const;

interface ParametersParameter {
  name?: string;
  resource?: unknown;
  valueString?: string;
  valueAttachment?: { contentType?: string; data?: string };
  [key: string]: unknown;
}

function fail(text: string, expression: string): never {
  throw new OperationOutcomeError(badRequest(text, expression));
}

function parseReceipt(parameter: ParametersParameter | undefined): unknown {
  let text: string | undefined;
  if (typeof parameter?.valueString === 'string') text = parameter.valueString;
  else if (typeof parameter?.valueAttachment?.data === 'string') text = Buffer.from(parameter.valueAttachment.data, 'base64').toString('utf8');
  if (text === undefined) fail('Parameter receipt (valueString or valueAttachment.data) is required', 'Parameters.parameter.receipt');
  try {
    return JSON.parse(text);
  } catch {
    return fail('Parameter receipt is not valid JSON', 'Parameters.parameter.receipt');
  }
}

function readVerifyAnchorInput(body: unknown): { resource: FhirResource; receipt: unknown } {
  const parameters = body as { resourceType?: unknown; parameter?: unknown } | null;
  if (parameters?.resourceType !== 'Parameters' || !Array.isArray(parameters.parameter)) {
    fail('Body must be a Parameters resource', 'Parameters');
  }
  const list = parameters.parameter as ParametersParameter[];
  const resource = list.find((p) => p?.name === 'resource')?.resource as FhirResource | undefined;
  if (typeof resource !== 'object' || resource === null || typeof resource.resourceType !== 'string') {
    fail('Parameter resource is required', 'Parameters.parameter.resource');
  }
  return { resource, receipt: parseReceipt(list.find((p) => p?.name === 'receipt')) };
}

function verifyAnchorParameters(result: VerifyAnchorResult): FhirResource {
  const parameter: Record<string, unknown>[] = [{ name: 'valid', valueBoolean: result.valid }];
  if (result.failedCheck) parameter.push({ name: 'failedCheck', valueCode: result.failedCheck });
  if (result.reason) parameter.push({ name: 'reason', valueString: result.reason });
  for (const check of result.checks) {
    const part: Record<string, unknown>[] = [
      { name: 'name', valueCode: check.name },
      { name: 'passed', valueBoolean: check.passed },
    ];
    if (check.skipped) part.push({ name: 'skipped', valueBoolean: true });
    if (check.warning) part.push({ name: 'warning', valueBoolean: true });
    if (check.detail) part.push({ name: 'detail', valueString: check.detail });
    parameter.push({ name: 'check', part });
  }
  return { resourceType: 'Parameters', parameter };
}

/**
 * Authorized against the type of the resource being verified: a payer checking a Claim needs Claim access.
 * A chain that does not answer surfaces as the chain client's timeout, which the FHIR error handler
 * answers with 504 and Retry-After (error-outcome.ts): the receipt may well be valid.
 */
export async function verifyAnchorOperation(
  http: FastifyRequest,
  authorize: Authorize,
  verify: VerifyAnchor,
  body: unknown,
): Promise<FhirResource> {
  const { resource, receipt } = readVerifyAnchorInput(body);
  await authorize(http, resource.resourceType, 'operation');
  return verifyAnchorParameters(await verify(resource, receipt));
}
