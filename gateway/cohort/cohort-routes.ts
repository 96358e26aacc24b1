// The cohort API under /cohort, one encapsulated fastify plugin. Callers hold a SMART token of
// the node (an EHR or research client of this member); what each route needs, in SMART v2
// letters: posting queries and trials ResearchStudy.c, reading results ResearchStudy.r,
// committing the records Patient.rs (it reads every patient), proving eligibility Patient.r,
// accepting an eligibility proof ResearchSubject.c. What the node may do on chain is decided by
// its member's roles there (RESEARCHER posts queries, HOSPITAL commits and answers).

import type { FastifyInstance } from 'fastify';
import { requireFhirAccess } from '../auth/fhir-access.js';
import { errorOutcome } from '../fhir/error-outcome.js';
import type { QueryResults } from './answer-audit.js';
import type { CohortService } from './cohort-service.js';
import type { EligibilityProofDocument } from './eligibility-check.js';

const COHORT_PREFIX = '/cohort';

const criteriaSchema = { type: 'array', minItems: 1, maxItems: 8, items: { type: 'object' } } as const;
const decimal = { type: 'string', pattern: '^[0-9]{1,78}$' } as const;
const proofSchema = {
  type: 'object',
  required: ['pi_a', 'pi_b', 'pi_c'],
  properties: {
    pi_a: { type: 'array', items: decimal },
    pi_b: { type: 'array', items: { type: 'array', items: decimal } },
    pi_c: { type: 'array', items: decimal },
  },
} as const;

/** JSON for query results: bigints as decimal strings. */
function resultsJson(results: QueryResults) {
  const { query } = results;
  return {
    queryId: query.queryId.toString(),
    researcher: query.researcher,
    criteriaHash: query.criteriaHash.toString(),
    criteria: JSON.parse(query.criteria) as unknown,
    minCellSize: query.minCellSize,
    deadline: query.deadline,
    txHash: query.txHash,
    answers: results.answers,
  };
}

export function cohortRoutes(service: CohortService) {
  return async function cohortPlugin(app: FastifyInstance): Promise<void> {
    app.setErrorHandler((error, request, reply) => {
      const mapped = errorOutcome(error, { bodyLimit: app.initialConfig.bodyLimit ?? 1024 * 1024 });
      if (mapped.unexpected) request.log.error({ err: error }, 'cohort request failed');
      return reply.code(mapped.status).type('application/fhir+json').send(mapped.outcome);
    });

    app.post(
      `${COHORT_PREFIX}/queries`,
      {
        schema: {
          body: {
            type: 'object',
            required: ['criteria'],
            additionalProperties: false,
            properties: {
              criteria: criteriaSchema,
              minCellSize: { type: 'integer', minimum: 1, maximum: 1_000_000 },
              /** Seconds since the epoch; default one hour from now. */
              deadline: { type: 'integer', minimum: 1 },
            },
          },
        },
      },
      async (request, reply) => {
        requireFhirAccess(request, 'ResearchStudy', 'create');
        const body = request.body as { criteria: unknown; minCellSize?: number; deadline?: number };
        return reply.code(201).send(await service.postQuery(body.criteria, body.minCellSize, body.deadline));
      },
    );

    app.get(
      `${COHORT_PREFIX}/queries/:queryId`,
      { schema: { params: { type: 'object', required: ['queryId'], properties: { queryId: { type: 'string', pattern: '^[1-9][0-9]{0,18}$' } } } } },
      async (request) => {
        requireFhirAccess(request, 'ResearchStudy', 'read');
        return resultsJson(await service.results(BigInt((request.params as { queryId: string }).queryId)));
      },
    );

    app.post(`${COHORT_PREFIX}/commit`, async (request) => {
      requireFhirAccess(request, 'Patient', 'operation', { permissions: 'rs' });
      return service.commit();
    });

    app.post(
      `${COHORT_PREFIX}/trials`,
      {
        schema: {
          body: {
            type: 'object',
            required: ['trial', 'criteria'],
            additionalProperties: false,
            properties: { trial: { type: 'string', minLength: 1, maxLength: 128 }, criteria: criteriaSchema },
          },
        },
      },
      async (request, reply) => {
        requireFhirAccess(request, 'ResearchStudy', 'create');
        const body = request.body as { trial: string; criteria: unknown };
        return reply.code(201).send(await service.registerTrial(body.trial, body.criteria));
      },
    );

    app.post(
      `${COHORT_PREFIX}/eligibility/proofs`,
      {
        schema: {
          body: {
            type: 'object',
            required: ['patient', 'trial', 'criteria'],
            additionalProperties: false,
            properties: {
              patient: { type: 'string', pattern: '^[A-Za-z0-9\\-.]{1,64}$' },
              trial: { type: 'string', minLength: 1, maxLength: 128 },
              criteria: criteriaSchema,
            },
          },
        },
      },
      async (request) => {
        requireFhirAccess(request, 'Patient', 'operation', { permissions: 'r' });
        const body = request.body as { patient: string; trial: string; criteria: unknown };
        return service.proveEligibility(body.patient, body.trial, body.criteria);
      },
    );

    app.post(
      `${COHORT_PREFIX}/eligibility/verify`,
      {
        schema: {
          body: {
            type: 'object',
            required: ['proof', 'publicSignals'],
            properties: { proof: proofSchema, publicSignals: { type: 'array', minItems: 4, maxItems: 4, items: decimal } },
          },
        },
      },
      async (request) => {
        requireFhirAccess(request, 'ResearchSubject', 'create');
        return service.acceptEligibility(request.body as Pick<EligibilityProofDocument, 'proof' | 'publicSignals'>);
      },
    );
  };
}
