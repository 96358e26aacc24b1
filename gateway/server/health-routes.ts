// /health for load balancers and operators, /metrics for Prometheus. Both are outside the FHIR
// API and need no token: they reveal counts and states, never data.

import type { FastifyInstance } from 'fastify';
import type { AnchorerHealth } from '../anchoring/anchorer.js';
import type { NodeMetrics } from './metrics.js';

export interface HealthRoutesOptions {
  anchoring: () => AnchorerHealth;
  metrics: NodeMetrics;
  identity: { orgId: string; memberId: string; chainId: number; version: string };
}

const healthSchema = {
  response: {
    200: {
      type: 'object',
      properties: {
        status: { type: 'string', enum: ['ok', 'degraded', 'failing'] },
        orgId: { type: 'string' },
        memberId: { type: 'string' },
        chainId: { type: 'integer' },
        version: { type: 'string' },
        anchoring: {
          type: 'object',
          properties: {
            state: { type: 'string' },
            detail: { type: 'string' },
            lastAnchoredSequence: { type: 'integer' },
            closedBatchesWaiting: { type: 'integer' },
            leavesWaiting: { type: 'integer' },
            lastAnchoredAt: { type: 'string' },
          },
        },
      },
    },
  },
} as const;

export async function healthRoutes(app: FastifyInstance, options: HealthRoutesOptions): Promise<void> {
  app.get('/health', { schema: { ...healthSchema, response: { ...healthSchema.response, 503: healthSchema.response[200] } } }, async (_request, reply) => {
    const anchoring = options.anchoring();
    // Intake keeps working while the chain is away (degraded); a diverged anchor log needs an
    // operator (failing).
    const status = anchoring.state === 'diverged' ? 'failing' : anchoring.state === 'ok' ? 'ok' : 'degraded';
    reply.code(status === 'failing' ? 503 : 200);
    return { status, ...options.identity, anchoring };
  });

  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', options.metrics.registry.contentType);
    return options.metrics.registry.metrics();
  });
}
