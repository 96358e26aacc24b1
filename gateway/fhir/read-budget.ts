// Bounds what the read entries of one batch or transaction Bundle return together. Each search
// page is already capped (_count <= maxCount), but a Bundle may hold many of them: 100 entries
// of _count=1000 built a response the node's heap could not hold. Entries reserve their page
// size from the budget in entry order before any runs (batch entries run together, so the
// bound cannot wait for actual result sizes): an entry gets at most what is left, which FHIR
// allows (a server may return fewer than _count, with a next link), and an entry that finds the
// budget spent answers 413 too-costly without touching the store.

import { OperationOutcomeError } from '@medplum/core';
import type { BundleEntry } from './bundle.js';
import { parseEntryUrl } from './entry-url.js';
import type { FhirContext } from './fhir-request.js';
import { tooCostly } from './outcomes.js';
import { parsePage } from './search-request.js';

export class ReadBudget {
  private remaining: number;

  constructor(private readonly total: number) {
    this.remaining = total;
  }

  /** The context the entry runs with: its search settings capped to the budget left. */
  admit(ctx: FhirContext, entry: BundleEntry): FhirContext {
    const cost = readCost(ctx, entry);
    if (cost === 0) return ctx;
    if (this.remaining === 0) {
      throw new OperationOutcomeError(
        tooCostly(
          `The read entries of this Bundle may return at most ${this.total} resources together and earlier entries took them; send this read in another request or lower _count`,
        ),
      );
    }
    const granted = Math.min(cost, this.remaining);
    this.remaining -= granted;
    if (granted === cost) return ctx;
    return { ...ctx, search: { ...ctx.search, maxCount: granted, defaultCount: Math.min(ctx.search.defaultCount, granted) } };
  }
}

/** Resources the entry may return: 1 for a read, its page size for a search or history. */
function readCost(ctx: FhirContext, entry: BundleEntry): number {
  if (entry.request?.method?.toUpperCase() !== 'GET' || !entry.request.url) return 0;
  let target;
  try {
    target = parseEntryUrl(entry.request.url, ctx.selfUrl);
  } catch {
    // The entry's own dispatch reports the bad URL.
    return 0;
  }
  if (target.id && (!target.history || target.versionId)) return 1;
  const query = target.query ?? new URLSearchParams();
  if (query.get('_summary') === 'count') return 0;
  try {
    return parsePage(query, ctx.search).count;
  } catch {
    return 0;
  }
}
