// `_include` and `_revinclude`: the resources a page of matches points at, and those pointing at
// it, through the reference parameters of the index. `:iterate` specs run once more over what
// the first round added (one round: cheap, and what clients use it for, e.g.
// `MedicationRequest:medication` then `Medication:manufacturer`). Deleted or erased resources
// are left out, as a read would refuse them.

import type { SearchIndexStore } from './ports.js';
import type { FhirResource, IncludeSpec, SearchQuery } from './service.js';

/** Included resources one search may add; more would make one page unbounded. */
export const MAX_INCLUDED = 1000;

export interface IncludeSource {
  index: Pick<SearchIndexStore, 'referencesFrom' | 'referrers'>;
  /** The current version of a resource, or undefined when it is missing, deleted or erased. */
  current(type: string, id: string): FhirResource | undefined;
  isKnownType(type: string): boolean;
}

const key = (resource: FhirResource): string => `${resource.resourceType}/${resource.id}`;

export function resolveIncludes(source: IncludeSource, query: SearchQuery, matches: readonly FhirResource[]): FhirResource[] {
  const seen = new Set(matches.map(key));
  const included: FhirResource[] = [];
  const add = (resource: FhirResource | undefined): void => {
    if (!resource || seen.has(key(resource)) || included.length >= MAX_INCLUDED) return;
    seen.add(key(resource));
    included.push(resource);
  };
  const round = (from: readonly FhirResource[], includes: readonly IncludeSpec[], revincludes: readonly IncludeSpec[]): FhirResource[] => {
    const before = included.length;
    for (const spec of includes) {
      const ids = from.filter((resource) => resource.resourceType === spec.source).map((resource) => resource.id!);
      for (const reference of source.index.referencesFrom(spec.source, ids, spec.code)) {
        const [type, id] = reference.split('/');
        if (!type || !id || (spec.target && type !== spec.target) || !source.isKnownType(type)) continue;
        add(source.current(type, id));
      }
    }
    for (const spec of revincludes) {
      const references = from.filter((resource) => !spec.target || resource.resourceType === spec.target).map(key);
      for (const row of source.index.referrers(spec.source, spec.code, references, MAX_INCLUDED)) add(source.current(spec.source, row.id));
    }
    return included.slice(before);
  };
  const first = round(matches, query.include ?? [], query.revinclude ?? []);
  const iterate = (specs: readonly IncludeSpec[] | undefined) => (specs ?? []).filter((spec) => spec.iterate);
  if (first.length > 0) round(first, iterate(query.include), iterate(query.revinclude));
  return included;
}
