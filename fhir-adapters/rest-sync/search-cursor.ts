// Where incremental search resumes, and which results of a page are new. The cursor is the
// greatest meta.lastUpdated taken so far plus the (id, versionId) pairs already taken at exactly
// that instant. The next query asks `_lastUpdated=ge<since>`: `gt` would lose resources that share
// the boundary instant with the last one of a page (common: servers stamp bulk loads with the
// same millisecond), and the seen set keeps `ge` from ingesting them twice.

import type { FhirResource } from '../../gateway/store/service.js';

export interface SearchCursor {
  /** meta.lastUpdated of the newest resource taken, exactly as the server wrote it; null before the first page. */
  since: string | null;
  /** `id|versionId` of the resources taken whose lastUpdated is the same instant as `since`. */
  seen: string[];
}

export const START_CURSOR: SearchCursor = { since: null, seen: [] };

function instantOf(resource: FhirResource): number | undefined {
  const value = resource.meta?.lastUpdated;
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

function seenKey(resource: FhirResource): string {
  return `${resource.id}|${resource.meta?.versionId ?? ''}`;
}

/** The resources of a page that the cursor has not already taken. */
export function unseen(cursor: SearchCursor, page: readonly FhirResource[]): FhirResource[] {
  if (cursor.since === null || cursor.seen.length === 0) return [...page];
  const boundary = Date.parse(cursor.since);
  const seen = new Set(cursor.seen);
  return page.filter((resource) => instantOf(resource) !== boundary || !seen.has(seenKey(resource)));
}

/**
 * The cursor after a page has been made durable. Resources without a usable lastUpdated are
 * ingested but cannot move the cursor.
 */
export function advance(cursor: SearchCursor, page: readonly FhirResource[]): SearchCursor {
  let newest: { ms: number; text: string } | undefined =
    cursor.since === null ? undefined : { ms: Date.parse(cursor.since), text: cursor.since };
  for (const resource of page) {
    const ms = instantOf(resource);
    if (ms !== undefined && (newest === undefined || ms > newest.ms)) newest = { ms, text: resource.meta!.lastUpdated! };
  }
  if (newest === undefined) return cursor;
  const atBoundary = page.filter((resource) => instantOf(resource) === newest.ms).map(seenKey);
  const sameInstant = cursor.since !== null && Date.parse(cursor.since) === newest.ms;
  const seen = sameInstant ? [...new Set([...cursor.seen, ...atBoundary])] : [...new Set(atBoundary)];
  return { since: sameInstant ? cursor.since : newest.text, seen };
}
