// A batch Bundle (Bundle.type = batch; not a Merkle batch): every entry is its own request. One entry failing yields its OperationOutcome in the
// response entry and leaves the others alone. Entries are dispatched together (FHIR forbids
// dependencies between batch entries): the store's group commit then makes the whole batch
// durable in one fsync instead of one per entry. Writes still reach the store in entry order.

import type { FastifyRequest } from 'fastify';
import type { Bundle, BundleEntry } from './bundle.js';
import { answerEntry, type EntryAnswerSettings } from './entry-answer.js';
import type { FhirContext } from './fhir-request.js';
import { ReadBudget } from './read-budget.js';

export async function processBatchBundle(
  ctx: FhirContext,
  http: FastifyRequest,
  bundle: Bundle,
  settings: EntryAnswerSettings & { readBudget: number },
): Promise<Bundle> {
  const entries = bundle.entry ?? [];
  const responses: BundleEntry[] = new Array(entries.length);
  const budget = new ReadBudget(settings.readBudget);
  await Promise.all(
    entries.map(async (entry, i) => {
      responses[i] = await answerEntry(ctx, http, entry, budget, settings, { entry: i, kind: 'batch entry' });
    }),
  );
  return { resourceType: 'Bundle', type: 'batch-response', timestamp: new Date().toISOString(), entry: responses };
}
