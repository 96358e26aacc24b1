// GET /console/api/operations: what hospital IT watches besides /health: intake rate, the journal
// backlog, the newest batches with their anchors, anchoring lag and refused requests by reason.
// Counts, hashes and times only, never data; still behind a bearer token, because batch timing
// tells an outsider when the hospital is busy.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import type { AnchoringBacklog } from '../anchoring/ports.js';
import type { OperationsReads } from '../store/operations-reads.js';

export const OPERATIONS_PATH = '/console/api/operations';
const BATCHES_SHOWN = 25;

export interface OperationsRoutesOptions {
  reads: OperationsReads;
  backlog: AnchoringBacklog;
  /** The node's metrics registry, where the refusal counter lives (server/metrics.ts). */
  registry: () => Registry | null;
  now?: () => number;
}

const batchSchema = {
  type: 'object',
  properties: {
    seq: { type: 'integer' },
    leafCount: { type: 'integer' },
    status: { type: 'string' },
    closedAt: { type: 'string' },
    anchoredAt: { type: ['string', 'null'] },
    txHash: { type: ['string', 'null'] },
    blockNumber: { type: ['integer', 'null'] },
  },
} as const;

const responseSchema = {
  type: 'object',
  properties: {
    now: { type: 'string' },
    intake: { type: 'object', properties: { journaledTotal: { type: 'integer' }, perSecond10s: { type: 'number' }, perSecond60s: { type: 'number' } } },
    backlog: { type: 'object', properties: { leavesWaiting: { type: 'integer' }, closedBatchesWaiting: { type: 'integer' }, oldestWaitingAt: { type: ['string', 'null'] } } },
    anchoring: { type: 'object', properties: { oldestUnanchoredAgeMs: { type: ['integer', 'null'] }, lastAnchorLagMs: { type: ['integer', 'null'] } } },
    batches: { type: 'array', items: batchSchema },
    refusals: { type: 'array', items: { type: 'object', properties: { reason: { type: 'string' }, count: { type: 'integer' } } } },
  },
} as const;

/** Any valid token of this node; the figures are the same for every caller. */
export function requireSignedIn(request: FastifyRequest, reply: FastifyReply): boolean {
  if (request.principal) return true;
  reply
    .code(401)
    .header('www-authenticate', 'Bearer realm="careledger"')
    .send({ error: 'unauthorized', message: 'Sign in to the console (or send a bearer token of this node) to see these figures.' });
  return false;
}

async function refusals(registry: Registry | null): Promise<Array<{ reason: string; count: number }>> {
  const metric = registry?.getSingleMetric('careledger_requests_refused_total');
  if (!metric) return [];
  const { values } = await metric.get();
  return values
    .filter((v) => v.value > 0)
    .map((v) => ({ reason: String(v.labels.reason), count: v.value }))
    .sort((a, b) => b.count - a.count);
}

export async function operationsRoutes(app: FastifyInstance, options: OperationsRoutesOptions): Promise<void> {
  const now = options.now ?? Date.now;
  app.get(OPERATIONS_PATH, { schema: { response: { 200: responseSchema } } }, async (request, reply) => {
    if (!requireSignedIn(request, reply)) return reply;
    const t = now();
    const batches = options.reads.recentBatches(BATCHES_SHOWN);
    const lastAnchored = batches.find((b) => b.status === 'anchored' && b.anchoredAt !== null);
    const oldest = options.reads.oldestUnanchoredAt();
    reply.header('cache-control', 'no-store');
    return {
      now: new Date(t).toISOString(),
      intake: {
        journaledTotal: options.reads.journaledTotal(),
        perSecond10s: options.reads.receivedSince(t - 10_000) / 10,
        perSecond60s: options.reads.receivedSince(t - 60_000) / 60,
      },
      backlog: {
        leavesWaiting: options.backlog.leavesWaiting(),
        closedBatchesWaiting: options.backlog.closedBatchesWaiting(),
        oldestWaitingAt: oldest === null ? null : new Date(oldest).toISOString(),
      },
      anchoring: {
        oldestUnanchoredAgeMs: oldest === null ? null : Math.max(0, t - oldest),
        lastAnchorLagMs: lastAnchored ? lastAnchored.anchoredAt! - lastAnchored.closedAt : null,
      },
      batches: batches.map((b) => ({
        ...b,
        closedAt: new Date(b.closedAt).toISOString(),
        anchoredAt: b.anchoredAt === null ? null : new Date(b.anchoredAt).toISOString(),
      })),
      refusals: await refusals(options.registry()),
    };
  });
}
