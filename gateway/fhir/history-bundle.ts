// history Bundle for one resource, newest first, deletions as DELETE entries without a resource.

import type { StoredVersion } from '../store/service.js';
import type { Bundle, BundleEntry } from './bundle.js';
import { etag } from './etag.js';
import { pageLinks } from './paging.js';

export function historyBundle(
  baseUrl: string,
  type: string,
  id: string,
  versions: readonly StoredVersion[],
  page: { count: number; offset: number },
): Bundle {
  const url = `${baseUrl}/${type}/${id}`;
  const oldest = versions.length - 1;
  const entry: BundleEntry[] = [];
  const end = Math.min(versions.length, page.offset + page.count);
  for (let i = page.offset; i < end; i++) {
    const version = versions[i];
    const response = {
      status: version.deleted ? '204 No Content' : i === oldest ? '201 Created' : '200 OK',
      etag: etag(version.versionId),
      lastModified: version.lastUpdated,
    };
    entry.push(
      version.deleted
        ? { fullUrl: url, request: { method: 'DELETE', url: `${type}/${id}` }, response }
        : {
            fullUrl: url,
            resource: version.resource,
            request: i === oldest ? { method: 'POST', url: type } : { method: 'PUT', url: `${type}/${id}` },
            response,
          },
    );
  }
  return {
    resourceType: 'Bundle',
    type: 'history',
    total: versions.length,
    link: pageLinks(`${url}/_history`, [], page.count, page.offset, versions.length),
    entry,
  };
}
