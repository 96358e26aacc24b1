// Deletions seen in a type-level `_history` window. A search never returns deleted resources, so
// this is the only place an EHR-side delete shows up. Only the newest entry per id in the window
// counts: a resource deleted and then re-created inside the window is alive, and the search pass
// brings its new content.

export interface HistoryEntry {
  fullUrl?: string;
  resource?: { resourceType?: string; id?: string; meta?: { lastUpdated?: string } };
  request?: { method?: string; url?: string };
  response?: { lastModified?: string; status?: string };
}

export interface HistoryWindow {
  /** Ids whose newest entry in the window is a deletion. */
  deleted: string[];
  /** The newest instant in the window, exactly as written, to resume from (`_since` is inclusive). */
  newest: string | null;
}

export function deletionsIn(type: string, entries: readonly HistoryEntry[]): HistoryWindow {
  // History bundles list newest first; timestamps decide when present, list order breaks ties.
  const latest = new Map<string, { ms: number; order: number; deleted: boolean }>();
  let newest: { ms: number; text: string } | null = null;
  entries.forEach((entry, order) => {
    const id = entryId(type, entry);
    if (!id) return;
    const text = entry.response?.lastModified ?? entry.resource?.meta?.lastUpdated;
    const parsed = text ? Date.parse(text) : Number.NaN;
    const ms = Number.isNaN(parsed) ? Number.NEGATIVE_INFINITY : parsed;
    if (text && !Number.isNaN(parsed) && (newest === null || parsed > newest.ms)) newest = { ms: parsed, text };
    const deleted = entry.request?.method?.toUpperCase() === 'DELETE' || entry.resource === undefined;
    const known = latest.get(id);
    if (!known || ms > known.ms || (ms === known.ms && order < known.order)) latest.set(id, { ms, order, deleted });
  });
  const deleted = [...latest].filter(([, state]) => state.deleted).map(([id]) => id);
  return { deleted, newest: (newest as { text: string } | null)?.text ?? null };
}

function entryId(type: string, entry: HistoryEntry): string | undefined {
  if (entry.resource?.resourceType === type && entry.resource.id) return entry.resource.id;
  for (const url of [entry.request?.url, entry.fullUrl]) {
    const match = url ? new RegExp(`(?:^|/)${type}/([A-Za-z0-9\\-.]{1,64})(?:/_history/[^/?]+)?(?:\\?.*)?$`).exec(url) : null;
    if (match) return match[1];
  }
  return undefined;
}
