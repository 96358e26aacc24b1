// /health for load balancers and operators, /metrics for Prometheus. Both are outside the FHIR
// API and need no token: they reveal counts and states, never data.

import type { FastifyInstance } from 'fastify';
import type { AnchorerHealth } from '../anchoring/anchorer.js';
import type { AdaptersHealth } from '../adapters/node-adapters.js';
import type { ChainProbeStatus } from '../ledger/chain-probe.js';
import type { NodeMetrics } from './metrics.js';

export interface HealthRoutesOptions {
  anchoring: () => AnchorerHealth;
  /** The background chain probe; a chain that does not answer in time makes the node degraded. */
  chain?: () => ChainProbeStatus;
  metrics: NodeMetrics;
  identity: { orgId: string; memberId: string; chainId: number; version: string };
  /** The EHR adapters that are on, and whether one of them is not working. */
  adapters?: { health: () => AdaptersHealth; degraded: () => boolean };
}

const ackCounts = { type: 'object', properties: { AA: { type: 'integer' }, AE: { type: 'integer' }, AR: { type: 'integer' } } } as const;

const adaptersSchema = {
  type: 'object',
  properties: {
    hl7: {
      type: 'object',
      properties: { host: { type: 'string' }, port: { type: 'integer' }, connections: { type: 'integer' }, acks: ackCounts },
    },
    kafka: {
      type: 'object',
      properties: {
        state: { type: 'string', enum: ['connecting', 'connected', 'restarting', 'retrying', 'crashed', 'stopped'] },
        topic: { type: 'string' },
        detail: { type: 'string' },
      },
    },
    restSync: {
      type: 'object',
      properties: {
        fhirBase: { type: 'string' },
        state: { type: 'string', enum: ['waiting', 'ok', 'failing'] },
        lastRun: { type: 'string' },
        lastSuccess: { type: 'string' },
        lagMs: { type: 'integer' },
        lastError: { type: 'string' },
        lastStored: { type: 'integer' },
      },
    },
    subscriptions: { type: 'object', properties: { endpoints: { type: 'array', items: { type: 'string' } } } },
    bulkExport: { type: 'object', properties: { kickOff: { type: 'string' } } },
  },
} as const;

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
        chain: {
          type: 'object',
          properties: {
            reachable: { type: 'boolean' },
            detail: { type: 'string' },
            lastAnswerAt: { type: 'string' },
            blockNumber: { type: 'integer' },
          },
        },
        adapters: adaptersSchema,
      },
    },
  },
} as const;

export async function healthRoutes(app: FastifyInstance, options: HealthRoutesOptions): Promise<void> {
  app.get('/health', { schema: { ...healthSchema, response: { ...healthSchema.response, 503: healthSchema.response[200] } } }, async (_request, reply) => {
    const anchoring = options.anchoring();
    const chain = options.chain?.();
    // Intake keeps working while the chain or an EHR feed is away (degraded); a diverged anchor
    // log needs an operator (failing). The anchorer alone would not notice a hung chain while it
    // has nothing to anchor, hence the probe.
    const healthy = anchoring.state === 'ok' && chain?.reachable !== false && !options.adapters?.degraded();
    const status = anchoring.state === 'diverged' ? 'failing' : healthy ? 'ok' : 'degraded';
    reply.code(status === 'failing' ? 503 : 200);
    return {
      status,
      ...options.identity,
      anchoring,
      ...(chain ? { chain } : {}),
      ...(options.adapters ? { adapters: options.adapters.health() } : {}),
    };
  });

  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', options.metrics.registry.contentType);
    return options.metrics.registry.metrics();
  });
}
