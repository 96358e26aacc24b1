// /health for load balancers and operators, /metrics for Prometheus. Both are outside the FHIR
// API and need no token: they reveal counts and states, never data.

import type { FastifyInstance } from 'fastify';
import type { AnchorerHealth } from '../anchoring/anchorer.js';
import type { ChainProbeStatus } from '../ledger/chain-probe.js';
import type { NodeMetrics } from './metrics.js';

export interface HealthRoutesOptions {
  anchoring: () => AnchorerHealth;
  /** The background chain probe; a chain that does not answer in time makes the node degraded. */
  chain?: () => ChainProbeStatus;
  metrics: NodeMetrics;
  identity: { orgId: string; memberId: string; chainId: number; version: string };
  /** The node's capabilities (gateway/capability-set.ts): their reports by name, and whether one is on but not working. */
  capabilities?: { health(): Record<string, object>; healthSchemas(): Record<string, object>; degraded(): boolean };
}

const coreHealthSchema = {
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
  },
} as const;

/** The response schema serializes /health, so each capability's report needs its schema in it. */
function healthSchema(capabilities: Record<string, object>) {
  const body = { ...coreHealthSchema, properties: { ...coreHealthSchema.properties, ...capabilities } };
  return { response: { 200: body, 503: body } };
}

export async function healthRoutes(app: FastifyInstance, options: HealthRoutesOptions): Promise<void> {
  app.get('/health', { schema: healthSchema(options.capabilities?.healthSchemas() ?? {}) }, async (_request, reply) => {
    const anchoring = options.anchoring();
    const chain = options.chain?.();
    // Intake keeps working while the chain or an EHR feed is away (degraded); a diverged anchor
    // log needs an operator (failing). The anchorer alone would not notice a hung chain while it
    // has nothing to anchor, hence the probe.
    const healthy = anchoring.state === 'ok' && chain?.reachable !== false && !options.capabilities?.degraded();
    const status = anchoring.state === 'diverged' ? 'failing' : healthy ? 'ok' : 'degraded';
    reply.code(status === 'failing' ? 503 : 200);
    return {
      status,
      ...options.identity,
      anchoring,
      ...(chain ? { chain } : {}),
      ...options.capabilities?.health(),
    };
  });

  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', options.metrics.registry.contentType);
    return options.metrics.registry.metrics();
  });
}
