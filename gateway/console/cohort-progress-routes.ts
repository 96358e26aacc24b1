// GET /console/api/cohort-queries/:queryId/progress: where each hospital stands on a cohort query
// (answered with its released count, proving k of n chunks, or not answered yet), as `careledger
// cohort query --wait` shows it. The Research view polls this every 2 s: it is a few chain reads,
// while GET /cohort/queries/:id re-verifies every answer's proofs (seconds of CPU on a shared
// machine) and is fetched only when an answer arrives.
import { OperationOutcomeError, getStatus } from '@medplum/core';
import type { FastifyInstance } from 'fastify';
import { requireFhirAccess } from '../auth/fhir-access.js';
import { hospitalProgress } from '../cohort/hospital-progress.js';
import type { CohortPort, MemberPort } from '../ledger/ports.js';

export interface CohortProgressRoutesOptions {
  /** Null when the chain has no CohortRegistry. */
  cohorts: CohortPort | null;
  members: MemberPort;
}

export async function cohortProgressRoutes(app: FastifyInstance, options: CohortProgressRoutesOptions): Promise<void> {
  app.get<{ Params: { queryId: string } }>(
    '/console/api/cohort-queries/:queryId/progress',
    { schema: { params: { type: 'object', required: ['queryId'], properties: { queryId: { type: 'string', pattern: '^[1-9][0-9]{0,18}$' } } } } },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      try {
        requireFhirAccess(request, 'ResearchStudy', 'read');
      } catch (error) {
        if (!(error instanceof OperationOutcomeError)) throw error;
        return reply.code(getStatus(error.outcome)).send({ error: 'refused', message: error.message });
      }
      if (!options.cohorts) return reply.code(404).send({ error: 'not_found', message: 'This node’s chain has no CohortRegistry, so it holds no cohort queries.' });
      const queryId = BigInt(request.params.queryId);
      const query = await options.cohorts.getQuery(queryId);
      if (!query) return reply.code(404).send({ error: 'not_found', message: `There is no cohort query ${queryId} on the chain: check the id the researcher was given.` });
      const hospitals = await hospitalProgress(options.cohorts, options.members, queryId);
      return {
        queryId: queryId.toString(),
        minCellSize: query.minCellSize,
        deadline: query.deadline,
        hospitals: hospitals.map((h) => (h.state === 'answered' ? { ...h, epoch: h.epoch.toString() } : h)),
      };
    },
  );
}
