// batch: every entry is its own request. One entry failing yields its OperationOutcome in the
// response entry and leaves the others alone. Entries run in order, one at a time, so two
// entries touching the same resource behave as the same requests sent sequentially.

import type { FastifyRequest } from 'fastify';
import type { Bundle, BundleEntry } from './bundle.js';
import { dispatchEntry } from './entry-dispatch.js';
import { entryResponse, errorEntry, type EntryResponseSettings } from './entry-response.js';
import { errorOutcome } from './error-outcome.js';
import type { FhirContext } from './fhir-request.js';

export async function processBatch(
  ctx: FhirContext,
  http: FastifyRequest,
  bundle: Bundle,
  settings: EntryResponseSettings & { strict: boolean; bodyLimit: number },
): Promise<Bundle> {
  const entries = bundle.entry ?? [];
  const responses: BundleEntry[] = new Array(entries.length);
  for (let i = 0; i < entries.length; i++) {
    try {
      const { result, write } = await dispatchEntry(ctx, http, entries[i], settings.strict);
      responses[i] = entryResponse(result, write, settings);
    } catch (error) {
      const mapped = errorOutcome(error, { bodyLimit: settings.bodyLimit });
      if (mapped.unexpected) http.log.error({ err: error, entry: i }, 'batch entry failed');
      responses[i] = errorEntry(mapped.status, mapped.outcome);
    }
  }
  return { resourceType: 'Bundle', type: 'batch-response', timestamp: new Date().toISOString(), entry: responses };
}
