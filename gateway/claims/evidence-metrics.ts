// The claim-evidence figures at /metrics: fetches by how they ended, and how long a served one
// took (assembly, receipts and the AuditEvent write). Counted before the registry exists, so a
// capability made in a test without /metrics still works.

import { Counter, Histogram, type Registry } from 'prom-client';

export type EvidenceFetchOutcome = 'served' | 'pending' | 'refused';

export class EvidenceMetrics {
  private fetches?: Counter<'outcome'>;
  private seconds?: Histogram;

  register(registry: Registry): void {
    this.fetches = new Counter({
      name: 'careledger_claim_evidence_fetches_total',
      help: 'Claim evidence fetches ($evidence) by outcome: served, pending (202, not anchored yet), refused',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.seconds = new Histogram({
      name: 'careledger_claim_evidence_seconds',
      help: 'Time to serve one claim evidence Bundle',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2],
      registers: [registry],
    });
  }

  fetched(outcome: EvidenceFetchOutcome, seconds?: number): void {
    this.fetches?.inc({ outcome });
    if (seconds !== undefined) this.seconds?.observe(seconds);
  }
}
