// A search parameter as FHIR writes it: `code`, `code:modifier`, and chained
// `code[:Type].param[:modifier]` (one reference deep). Shared by the HTTP parser and
// If-None-Exist in the store, so a conditional create reads its query exactly as a search does.

import type { SearchParam } from './service.js';

/** The parameter named `name` with `value`; a chain's type is '' when the name does not say it. */
export function searchParam(name: string, value: string): SearchParam {
  const dot = name.indexOf('.');
  const head = dot < 0 ? name : name.slice(0, dot);
  const colon = head.indexOf(':');
  const code = colon < 0 ? head : head.slice(0, colon);
  const modifier = colon < 0 ? undefined : head.slice(colon + 1);
  if (dot < 0) return modifier === undefined ? { code, value } : { code, modifier, value };
  return { code, value, chain: { type: modifier ?? '', param: searchParam(name.slice(dot + 1), value) } };
}
