// Test fixture only: a fastify app with both FHIR bases over MemoryResourceService and small
// stand-ins for the injected validators, converter, authorization and receipt verifier, each
// with one visible rule so tests can trigger their failure paths.

import { forbidden, OperationOutcomeError, unauthorized } from '@medplum/core';
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import Fastify, { type FastifyInstance } from 'fastify';
import type { FhirResource } from '../../gateway/store/service.js';
import type { VerifyAnchorResult } from '../../gateway/fhir/operations/verify-anchor.js';
import type { FhirInteraction } from '../../gateway/fhir/authorize.js';
import type { FhirRoutesOptions } from '../../gateway/fhir/options.js';
import { fhirRoutes } from '../../gateway/fhir/plugin.js';
import { MemoryResourceService } from './memory-resource-service.js';

export const BASE_URL = 'http://node.test/fhir';
export const RESOURCE_TYPES = ['Patient', 'Observation', 'Encounter', 'Provenance', 'Claim', 'Practitioner'];
const GENDERS = new Set(['male', 'female', 'other', 'unknown']);

function genderIssues(resource: FhirResource): OperationOutcomeIssue[] {
  return resource.gender !== undefined && !GENDERS.has(resource.gender as string)
    ? [{ severity: 'error', code: 'code-invalid', details: { text: `Unknown gender ${String(resource.gender)}` }, expression: ['Patient.gender'] }]
    : [];
}

/** Drops Patient.animal (gone in R5) with a warning, the way a real converter reports loss. */
function convertR4(resource: FhirResource): { resource: FhirResource; issues: OperationOutcomeIssue[] } {
  if (resource.animal === undefined) return { resource, issues: [] };
  const { animal: _animal, ...rest } = resource;
  return {
    resource: rest as FhirResource,
    issues: [{ severity: 'warning', code: 'informational', details: { text: 'Patient.animal has no R5 equivalent; dropped' }, expression: ['Patient.animal'] }],
  };
}

function verifyAnchor(_resource: FhirResource, receipt: unknown): VerifyAnchorResult {
  const ok = (receipt as { digest?: string }).digest === 'good';
  return ok
    ? { valid: true, checks: [{ name: 'digest', passed: true }, { name: 'root-on-chain', passed: true }] }
    : { valid: false, failedCheck: 'digest', reason: 'digest mismatch', checks: [{ name: 'digest', passed: false, detail: 'recomputed digest differs' }] };
}

export interface AuthorizeCall {
  resourceType: string;
  interaction: FhirInteraction;
}

export interface TestApp {
  app: FastifyInstance;
  service: MemoryResourceService;
  authorizeCalls: AuthorizeCall[];
}

/** `x-test-deny: Type:interaction` makes authorize throw 403, `x-test-anonymous: 1` 401. */
export async function buildTestApp(overrides: Partial<FhirRoutesOptions> = {}, now?: () => Date): Promise<TestApp> {
  const service = new MemoryResourceService(now);
  const authorizeCalls: AuthorizeCall[] = [];
  const options: FhirRoutesOptions = {
    service,
    resourceTypes: RESOURCE_TYPES,
    authorize: (request, resourceType, interaction) => {
      authorizeCalls.push({ resourceType, interaction });
      if (request.headers['x-test-anonymous']) throw new OperationOutcomeError(unauthorized);
      if (request.headers['x-test-deny'] === `${resourceType}:${interaction}`) throw new OperationOutcomeError(forbidden);
    },
    r4: { validate: genderIssues, convert: convertR4 },
    r5Validate: genderIssues,
    verifyAnchor,
    baseUrl: BASE_URL,
    smart: { token: 'http://node.test/auth/token' },
    ...overrides,
  };
  const app = Fastify({ logger: false });
  await app.register(fhirRoutes, { ...options, prefix: '/fhir' });
  await app.register(fhirRoutes, { ...options, fhirVersion: 'R4', prefix: '/fhir/R4' });
  await app.ready();
  return { app, service, authorizeCalls };
}
