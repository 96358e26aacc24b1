// Incremental pull from an EHR's FHIR R4/R5 server. Per resource type, a round first applies the
// deletions found in `_history?_since=` and then pages through
// `_lastUpdated=ge<cursor>&_sort=_lastUpdated&_count=N`; each page is converted to R5, submitted,
// and only once IntakePort has made it durable does the cursor move (see search-cursor.ts).
//
// After a page that moved the cursor, the next page is a fresh query from the new cursor rather
// than the server's `next` link: offset-based links shift when a resource on an earlier page is
// updated meanwhile, and following them could skip a resource for good. `next` is followed only
// through a run of resources sharing one instant that is longer than a page, where a fresh query
// would return the same page again.

import type { IntakePort } from '../../gateway/intake/port.js';
import type { FhirResource } from '../../gateway/store/service.js';
import { FhirHttpClient, sleep, type FhirHttpClientOptions } from './fhir-http-client.js';
import { deletionsIn, type HistoryEntry } from './history-deletions.js';
import { emptyReport, ingest, mergeReport, type FhirVersion, type IngestReport } from './r5-intake.js';
import { advance, START_CURSOR, unseen } from './search-cursor.js';
import type { SyncCursorTable, TypeCursor } from './sync-cursor-table.js';

export interface RestSyncOptions {
  /** Names the EHR in cursor rows and in the journal's `source` (`rest-sync:<ehr>`). */
  ehr: string;
  /** The EHR's FHIR base, with SMART auth and retry settings. */
  server: FhirHttpClientOptions;
  fhirVersion: FhirVersion;
  types: readonly string[];
  intake: IntakePort;
  /** The node's delete (ResourceService.delete): IntakePort has no delete. `versionId` null
   * means there was nothing live to delete. */
  deleter: (type: string, id: string) => Promise<{ versionId: string | null }>;
  /** Where the cursors are kept (gateway/store/sync-cursor-store.ts). */
  cursors: SyncCursorTable;
  /** `_count` per page. Default 100. */
  pageSize?: number;
  /** Run the `_history` deletion pass. Default true; turn off for servers without type history. */
  detectDeletes?: boolean;
  /** After each durable page. */
  onPage?: (info: { type: string; resources: number; report: IngestReport }) => void;
  /** After each round of syncOnce, failed or not (health reporting). */
  onRound?: (round: SyncRound) => void;
}

export interface SyncRound {
  startedAt: Date;
  finishedAt: Date;
  /** Present when the round completed. */
  reports?: TypeSyncReport[];
  /** Present when it failed; the cursors keep what was durable before the failure. */
  error?: unknown;
}

export interface TypeSyncReport extends IngestReport {
  type: string;
  pages: number;
  deleted: number;
}

interface Bundle {
  entry?: Array<{ resource?: FhirResource; search?: { mode?: string } } & HistoryEntry>;
  link?: Array<{ relation?: string; url?: string }>;
}

export class RestSync {
  readonly client: FhirHttpClient;
  private readonly cursors: SyncCursorTable;
  private readonly pageSize: number;
  private readonly source: string;
  private loop: { abort: AbortController; done: Promise<void> } | undefined;

  constructor(private readonly options: RestSyncOptions) {
    this.client = new FhirHttpClient(options.server);
    this.cursors = options.cursors;
    this.pageSize = options.pageSize ?? 100;
    this.source = `rest-sync:${options.ehr}`;
  }

  /** One round over every configured type. */
  async syncOnce(): Promise<TypeSyncReport[]> {
    const startedAt = new Date();
    const reports: TypeSyncReport[] = [];
    try {
      for (const type of this.options.types) reports.push(await this.syncType(type));
    } catch (error) {
      this.options.onRound?.({ startedAt, finishedAt: new Date(), error });
      throw error;
    }
    this.options.onRound?.({ startedAt, finishedAt: new Date(), reports });
    return reports;
  }

  /** Catch up one type now (also what a Subscriptions gap triggers). */
  async syncType(type: string): Promise<TypeSyncReport> {
    const report: TypeSyncReport = { type, pages: 0, deleted: 0, ...emptyReport() };
    if (this.options.detectDeletes !== false) report.deleted = await this.applyDeletions(type);
    await this.pullChanges(type, report);
    return report;
  }

  /** Polls every `intervalMs` until stop(); a failed round is reported and retried next time. */
  start(intervalMs: number, onError: (error: unknown) => void = () => {}): void {
    if (this.loop) return;
    const abort = new AbortController();
    const done = (async () => {
      while (!abort.signal.aborted) {
        try {
          await this.syncOnce();
        } catch (error) {
          onError(error);
        }
        await sleep(intervalMs, abort.signal);
      }
    })();
    this.loop = { abort, done };
  }

  /** Stops polling; resolves when the round in progress (if any) has finished. */
  async stop(): Promise<void> {
    const loop = this.loop;
    this.loop = undefined;
    if (!loop) return;
    loop.abort.abort();
    await loop.done;
  }

  private async pullChanges(type: string, report: TypeSyncReport): Promise<void> {
    let cursor = (await this.cursor(type)).search;
    let nextLink: string | undefined;
    for (;;) {
      const bundle = await this.client.json<Bundle>(nextLink ?? this.searchUrl(type, cursor.since));
      const page = (bundle.entry ?? [])
        .filter((entry) => entry.search?.mode === undefined || entry.search.mode === 'match')
        .map((entry) => entry.resource)
        .filter((resource): resource is FhirResource => resource?.resourceType === type);
      const pageReport = await ingest(this.options.intake, unseen(cursor, page), { version: this.options.fhirVersion, source: this.source });
      const next = advance(cursor, page);
      await this.cursors.saveSearch(this.options.ehr, type, next);
      report.pages++;
      mergeReport(report, pageReport);
      this.options.onPage?.({ type, resources: page.length, report: pageReport });

      const link = bundle.link?.find((candidate) => candidate.relation === 'next')?.url;
      const moved = next.since !== cursor.since;
      cursor = next;
      if (page.length === 0 || !link) return;
      nextLink = moved ? undefined : link;
    }
  }

  private async cursor(type: string): Promise<TypeCursor> {
    return (await this.cursors.get(this.options.ehr, type)) ?? { search: START_CURSOR, historySince: null };
  }

  private searchUrl(type: string, since: string | null): string {
    const query = new URLSearchParams();
    if (since !== null) query.set('_lastUpdated', `ge${since}`);
    query.set('_sort', '_lastUpdated');
    query.set('_count', String(this.pageSize));
    return `${type}?${query}`;
  }

  private async applyDeletions(type: string): Promise<number> {
    const { historySince } = await this.cursor(type);
    if (historySince === null) {
      // First round: deletions from before it are irrelevant (search returns only live
      // resources); from now on each round looks back to where the previous one ended.
      await this.cursors.saveHistory(this.options.ehr, type, await this.serverTime(type));
      return 0;
    }
    const entries: HistoryEntry[] = [];
    let url: string | undefined = `${type}/_history?${new URLSearchParams({ _since: historySince, _count: String(this.pageSize) })}`;
    while (url) {
      const bundle: Bundle = await this.client.json<Bundle>(url);
      entries.push(...(bundle.entry ?? []));
      url = bundle.link?.find((candidate) => candidate.relation === 'next')?.url;
    }
    const window = deletionsIn(type, entries);
    let deleted = 0;
    // `_since` is inclusive, so the last window's newest deletion comes again; the node answers
    // it with versionId null (nothing live), which is not counted.
    for (const id of window.deleted) if ((await this.options.deleter(type, id)).versionId !== null) deleted++;
    if (window.newest !== null) await this.cursors.saveHistory(this.options.ehr, type, window.newest);
    return deleted;
  }

  /** The server's clock (HTTP Date, whole seconds, so never later than the server's now). */
  private async serverTime(type: string): Promise<string> {
    const response = await this.client.request(`${type}?_summary=count`);
    await response.body?.cancel();
    const date = Date.parse(response.headers.get('date') ?? '');
    return new Date(Number.isNaN(date) ? Date.now() - 60_000 : date).toISOString();
  }
}
