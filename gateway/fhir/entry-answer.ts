// One Bundle entry run as its own request and answered as a response entry: batch entries and a
// transaction's reads both go this way. A failure becomes that entry's OperationOutcome, never the
// Bundle's; a read takes its page size from the Bundle's shared read budget first.

import type { FastifyRequest } from 'fastify';
import type { BundleEntry } from './bundle.js';
import { dispatchEntry } from './entry-dispatch.js';
import { entryResponse, errorEntry, type EntryResponseSettings } from './entry-response.js';
import { errorOutcome } from './error-outcome.js';
import type { FhirContext } from './fhir-request.js';
import type { ReadBudget } from './read-budget.js';

export type EntryAnswerSettings = EntryResponseSettings & { strict: boolean; bodyLimit: number };

export async function answerEntry(
  ctx: FhirContext,
  http: FastifyRequest,
  entry: BundleEntry,
  budget: ReadBudget,
  settings: EntryAnswerSettings,
  /** Where the entry stands, for the log line of an unexpected failure. */
  place: { entry: number; kind: string },
): Promise<BundleEntry> {
  try {
    const { result, write } = await dispatchEntry(budget.admit(ctx, entry), http, entry, settings.strict);
    return entryResponse(result, write, settings);
  } catch (error) {
    const mapped = errorOutcome(error, { bodyLimit: settings.bodyLimit });
    if (mapped.unexpected) http.log.error({ err: error, entry: place.entry }, `${place.kind} failed`);
    return errorEntry(mapped.status, mapped.outcome);
  }
}
