// What an EHR adapter (REST sync, Bulk Data, Subscriptions, HL7 v2, Kafka) hands the node.
// Resources are R5 (adapters convert R4 first). An adapter acknowledges upstream only after
// `submit` resolves: by then each accepted resource is durable in the journal.

import type { FhirResource, WriteResult } from '../store/service.js';

export interface IntakeItem {
  resource: FhirResource;
}

export type IntakeItemResult =
  | { ok: true; result: WriteResult }
  | { ok: false; outcome: { resourceType: 'OperationOutcome'; issue: unknown[] }; status: number };

export interface IntakePort {
  /**
   * Upserts each resource under its own id (EHR ids are kept). Content identical to the
   * current version is a no-op (`outcome: 'unchanged'`), which makes every adapter idempotent.
   * With `atomic`, one invalid resource rejects all; otherwise results are per item.
   */
  submit(items: IntakeItem[], options: { source: string; atomic?: boolean }): Promise<IntakeItemResult[]>;
}
