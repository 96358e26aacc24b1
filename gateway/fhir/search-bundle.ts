// searchset Bundle: matches (cut to `_elements` when asked, tagged SUBSETTED), the resources
// `_include` / `_revinclude` added (search.mode include), then the lenient-handling warnings as
// an entry with search.mode 'outcome' (the shape of the R5 example bundle-search-warning).

import { randomUUID } from 'node:crypto';
import type { FhirResource, SearchResult } from '../store/service.js';
import type { Bundle, BundleEntry } from './bundle.js';
import { pageLinks } from './paging.js';
import type { ParsedSearch } from './search-request.js';

const SUBSETTED = { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED' };

/** What `_elements` keeps of a resource: the listed elements and the mandatory ones (id, meta). */
function subset(resource: FhirResource, elements: readonly string[]): FhirResource {
  const kept: FhirResource = { resourceType: resource.resourceType };
  if (resource.id !== undefined) kept.id = resource.id;
  for (const element of elements) if (resource[element] !== undefined) kept[element] = resource[element];
  const meta = resource.meta ?? {};
  const tags = Array.isArray(meta.tag) ? meta.tag : [];
  kept.meta = { ...meta, tag: [...tags, SUBSETTED] };
  return kept;
}

export function searchBundle(baseUrl: string, search: ParsedSearch, result: SearchResult): Bundle {
  const { type, count, offset, summaryCount } = search.query;
  const entry: BundleEntry[] = [];
  if (!summaryCount) {
    for (const resource of result.resources) {
      const shown = search.elements ? subset(resource, search.elements) : resource;
      entry.push({ fullUrl: `${baseUrl}/${resource.resourceType}/${resource.id}`, resource: shown, search: { mode: 'match' } });
    }
    for (const resource of result.included ?? []) {
      entry.push({ fullUrl: `${baseUrl}/${resource.resourceType}/${resource.id}`, resource, search: { mode: 'include' } });
    }
  }
  if (search.warnings.length) {
    entry.push({
      fullUrl: `urn:uuid:${randomUUID()}`,
      resource: { resourceType: 'OperationOutcome', issue: search.warnings },
      search: { mode: 'outcome' },
    });
  }
  const bundle: Bundle = {
    resourceType: 'Bundle',
    type: 'searchset',
    link: pageLinks(`${baseUrl}/${type}`, search.applied, summaryCount ? 0 : count, offset, result.total),
    entry,
  };
  // _total=none: the count is cheap here (one indexed query), but the client asked not to see it.
  return search.total === 'none' && !summaryCount ? bundle : { resourceType: 'Bundle', type: 'searchset', total: result.total, link: bundle.link, entry };
}
