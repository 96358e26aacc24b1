// Offset paging links (self, first, previous, next). Offsets keep paging stateless: no cursor
// table to expire, and any node behind a load balancer can serve the next page.

import type { BundleLink } from './bundle.js';

export function pageLinks(
  url: string,
  applied: readonly [string, string][],
  count: number,
  offset: number,
  total: number,
): BundleLink[] {
  const page = (at: number): string => {
    const query = new URLSearchParams(applied);
    query.set('_count', String(count));
    if (at > 0) query.set('_offset', String(at));
    return `${url}?${query.toString()}`;
  };
  const links: BundleLink[] = [{ relation: 'self', url: page(offset) }];
  if (count === 0) return links;
  links.push({ relation: 'first', url: page(0) });
  if (offset > 0) links.push({ relation: 'previous', url: page(Math.max(0, offset - count)) });
  if (offset + count < total) links.push({ relation: 'next', url: page(offset + count) });
  return links;
}
