// searchset Bundle: matches, then the lenient-handling warnings as an entry with search.mode
// 'outcome' (the shape of the R5 example bundle-search-warning).

import { randomUUID } from 'node:crypto';
import type { SearchResult } from '../store/service.js';
import type { Bundle, BundleEntry } from './bundle.js';
import { pageLinks } from './paging.js';
import type { ParsedSearch } from './search-request.js';

export function searchBundle(baseUrl: string, search: ParsedSearch, result: SearchResult): Bundle {
  const { type, count, offset, summaryCount } = search.query;
  const entry: BundleEntry[] = [];
  if (!summaryCount) {
    for (const resource of result.resources) {
      entry.push({ fullUrl: `${baseUrl}/${resource.resourceType}/${resource.id}`, resource, search: { mode: 'match' } });
    }
  }
  if (search.warnings.length) {
    entry.push({
      fullUrl: `urn:uuid:${randomUUID()}`,
      resource: { resourceType: 'OperationOutcome', issue: search.warnings },
      search: { mode: 'outcome' },
    });
  }
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    total: result.total,
    link: pageLinks(`${baseUrl}/${type}`, search.applied, summaryCount ? 0 : count, offset, result.total),
    entry,
  };
}
