// Prometheus metrics for the node, in a registry of its own (no global default registry), so
// several nodes in one process (tests, the local consortium) keep separate figures.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AnchoredBatch } from '../anchoring/anchorer.js';

export interface MetricSources {
  leavesWaiting(): number;
  closedBatchesWaiting(): number;
  chainReachable(): boolean;
}

export class NodeMetrics {
  readonly registry = new Registry();
  readonly journaled = new Counter({
    name: 'careledger_resources_journaled_total',
    help: 'Resource versions made durable in the journal',
    registers: [this.registry],
  });
  private readonly batchesAnchored = new Counter({
    name: 'careledger_batches_anchored_total',
    help: 'Batches whose root is anchored on chain',
    registers: [this.registry],
  });
  private readonly leavesAnchored = new Counter({
    name: 'careledger_leaves_anchored_total',
    help: 'Resource versions covered by anchored batches',
    registers: [this.registry],
  });
  private readonly anchorSeconds = new Histogram({
    name: 'careledger_batch_anchor_seconds',
    help: 'Time from a batch closing to its anchor being in a block',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32],
    registers: [this.registry],
  });

  /** Requests answered with an error status, by reason (refusalReason): the console's refusal counts. */
  readonly refused = new Counter({
    name: 'careledger_requests_refused_total',
    help: 'Requests answered with a 4xx or 5xx status, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  constructor(sources: MetricSources) {
    collectDefaultMetrics({ register: this.registry, prefix: 'careledger_' });
    new Gauge({
      name: 'careledger_leaves_waiting',
      help: 'Journaled versions not yet in a closed batch',
      registers: [this.registry],
      collect() {
        this.set(sources.leavesWaiting());
      },
    });
    new Gauge({
      name: 'careledger_batches_waiting',
      help: 'Closed batches not yet anchored',
      registers: [this.registry],
      collect() {
        this.set(sources.closedBatchesWaiting());
      },
    });
    new Gauge({
      name: 'careledger_chain_up',
      help: '1 when the chain answered its last liveness probe in time and the last anchoring attempt reached it',
      registers: [this.registry],
      collect() {
        this.set(sources.chainReachable() ? 1 : 0);
      },
    });
  }

  /** For Anchorer.onAnchored. */
  batchAnchored(batch: AnchoredBatch): void {
    this.batchesAnchored.inc();
    this.leavesAnchored.inc(batch.leafCount);
    this.anchorSeconds.observe((batch.anchoredAt - batch.closedAt) / 1000);
  }
}

/** Refusal reasons by HTTP status: few and stable, so the counter's label set stays small. */
const REFUSAL_REASONS: Record<number, string> = {
  400: 'bad request',
  401: 'no valid token',
  403: 'not allowed (scope or consent)',
  404: 'not found',
  405: 'method not allowed',
  406: 'format not acceptable',
  409: 'conflict',
  410: 'gone (deleted or erased)',
  412: 'precondition failed',
  413: 'too large',
  415: 'unsupported media type',
  422: 'invalid resource',
  429: 'rate limited',
  503: 'unavailable (chain or capability)',
};

export function refusalReason(statusCode: number): string {
  return REFUSAL_REASONS[statusCode] ?? (statusCode >= 500 ? 'server error' : `other ${statusCode}`);
}
