// The resource store over SQLite: it stores what the intake pipeline (intake/pipeline.ts) has
// checked and hashed, and reads it back. A write is one unit of the group commit: the version
// id, the salted leaf in the journal, the version sealed in the vault and the current pointer, in
// one transaction. Nothing is acknowledged before that transaction is on disk, and a write that
// fails its preconditions leaves no row anywhere. Its search index rows follow in a batch of many
// resources' rows, which every reader of the index writes first (deferred-index.ts).
//
// Nothing is shown before it is on disk either. A group commit is visible to other statements
// as soon as SQLite commits it, while its fsync still runs on the thread pool (write-queue.ts).
// A read of a resource with a write in that window waits for the fsync, so no reader sees a
// version that a power cut could still take back (the writer has not heard 201 yet either).
// Reads of other resources do not wait.

import { OperationOutcomeError, badRequest, getStatus, gone, notFound, preconditionFailed } from '@medplum/core';
import { hashVersion, tombstoneDigest } from '../intake/hashing.js';
import type { Db } from './database.js';
import { DeferredIndex, INDEX_THROUGH_SEQ_KEY, journalEndReader, registerIndexFlush, unregisterIndexFlush } from './deferred-index.js';
import { IndexWriter, type TransactionOutcome } from './index-writer.js';
import { indexStateWriter, readIndexState } from './search-file.js';
import { SqliteJournal } from './journal-store.js';
import type {
  IndexChange,
  JournalStore,
  PreparedWrite,
  ReceiptSource,
  ResourceStorage,
  SearchIndexStore,
  SealingVault,
  VersionRecord,
  VersionStore,
} from './ports.js';
import { r5SearchCatalog } from './search-catalog.js';
import { SearchEngine } from './search-engine.js';
import { resolveIncludes } from './search-includes.js';
import { compartmentOf, type IndexEntry, type SearchIndexer } from './search-index.js';
import type { FhirResource, ReceiptStatus, SearchQuery, SearchResult, StoredVersion, WriteResult } from './service.js';
import { NODE_COMPARTMENT } from './vault.js';
import { SqliteVersionStore } from './version-store.js';
import type { WalSync } from './wal-sync.js';
import { WriteQueue } from './write-queue.js';

export interface ResourceStoreOptions {
  db: Db;
  vault: SealingVault;
  indexer: SearchIndexer;
  /** Which `Provenance?target=Type/id` searches may be answered with anchor Provenance. */
  isKnownType: (type: string) => boolean;
  receipts: ReceiptSource;
  /** Told after each commit that added journal rows, so the batcher can close early. */
  onJournaled?: (count: number) => void;
  now?: () => Date;
  /** The group commit's WAL fsync; tests pass one whose fsync they can hold. */
  wal?: WalSync;
  /**
   * Build and write the search index on a thread of its own (index-writer.ts) rather than on the
   * calling thread (deferred-index.ts). Needs a database file; the node turns it on.
   */
  indexThread?: boolean;
  /** Where the index writer thread's warnings go (default: stderr). */
  log?: (line: string) => void;
  /** Batch size and longest wait of the index rows (tests: deferred-index.ts has the defaults). */
  indexFlush?: { resources?: number; delayMs?: number };
}

/** The search index rows of the writes, on their way to the tables (deferred-index.ts or index-writer.ts). */
interface IndexQueue {
  replace(type: string, id: string, previous: FhirResource | undefined, next: FhirResource | undefined, versionId: number | null): void;
  transactionEnded(outcome: TransactionOutcome): void;
  flush(): void;
  close(): void;
}

export class ResourceStore implements ResourceStorage {
  private readonly queue: WriteQueue;
  private readonly versions: VersionStore;
  private readonly journal: JournalStore;
  private readonly index: SearchIndexStore;
  private readonly indexQueue: IndexQueue;
  private readonly now: () => Date;
  private readonly journalEnd: () => number;
  /** `Type/id` of writes queued or committed whose fsync has not completed, with how many. */
  private readonly notYetDurable = new Map<string, number>();

  constructor(private readonly options: ResourceStoreOptions) {
    const { db } = options;
    this.queue = new WriteQueue(db, () => options.vault.forgetCachedKeys(), {
      wal: options.wal,
      onTransactionEnd: (outcome) => this.indexQueue.transactionEnded(outcome),
    });
    this.versions = new SqliteVersionStore(db);
    this.journal = new SqliteJournal(db);
    this.now = options.now ?? (() => new Date());
    this.index = new SearchEngine(db, options.indexer, this.now);
    this.journalEnd = journalEndReader(db);
    this.reindexIfStale();
    this.catchUpIndex();
    // The thread builds its own indexer over the R5 catalog: an indexer over another catalog (a
    // benchmark's) indexes on this thread.
    const threadCanIndex = db.name !== ':memory:' && options.indexer.catalog === r5SearchCatalog();
    this.indexQueue = options.indexThread && threadCanIndex ? this.indexWriter() : this.inlineIndex();
  }

  /** Writes the search index rows still pending (before the database is closed; searches do it themselves). */
  flushIndex(): void {
    this.indexQueue.flush();
  }

  /**
   * Releases what the store holds beside the database. Called after the database closed, it
   * leaves the index rows still pending to the next open, as a crash would (flushIndex first).
   */
  close(): void {
    this.indexQueue.close();
    this.queue.close();
  }

  /** Index rows built on this thread and written behind the group commit. */
  private inlineIndex(): IndexQueue {
    const { db, indexer } = this.options;
    const deferred = new DeferredIndex({
      db,
      apply: (changes) => this.index.apply(changes),
      current: (type, id) => {
        const current = this.versions.current(type, id);
        return { versionId: current && !current.deleted ? current.versionId : null, entries: this.indexedEntries(type, id, current) };
      },
      ...(this.options.indexFlush?.resources ? { flushResources: this.options.indexFlush.resources } : {}),
      ...(this.options.indexFlush?.delayMs ? { flushDelayMs: this.options.indexFlush.delayMs } : {}),
    });
    return {
      replace: (type, id, previous, next, versionId) =>
        deferred.replace(type, id, previous ? indexer.entries(previous) : [], next ? indexer.entries(next) : [], versionId),
      transactionEnded: (outcome) => {
        if (outcome !== 'committed') deferred.rolledBack();
      },
      flush: () => deferred.flush(),
      close: () => {
        if (db.open) deferred.close();
      },
    };
  }

  /** Index rows built and written by a thread of its own. */
  private indexWriter(): IndexQueue & { writer: IndexWriter } {
    const { db, indexer } = this.options;
    const writer = new IndexWriter({
      db,
      indexer,
      apply: (changes) => this.index.apply(changes),
      current: (type, id) => {
        const resource = this.indexedResource(type, id, this.versions.current(type, id)) ?? null;
        return { versionId: resource ? Number(resource.meta!.versionId) : null, resource };
      },
      journalEnd: this.journalEnd,
      catchUp: () => this.catchUpIndex(),
      ...(this.options.log ? { log: this.options.log } : {}),
      ...(this.options.indexFlush?.resources ? { flushResources: this.options.indexFlush.resources } : {}),
      ...(this.options.indexFlush?.delayMs ? { flushDelayMs: this.options.indexFlush.delayMs } : {}),
    });
    registerIndexFlush(db, () => writer.flush());
    return {
      writer,
      replace: (type, id, previous, next, versionId) => writer.replace(type, id, previous, next, versionId),
      transactionEnded: (outcome) => writer.transactionEnded(outcome),
      flush: () => writer.flush(),
      // After the database closed (a crash, in effect), what is pending is left for the next open.
      close: () => {
        if (db.open) writer.close();
        else writer.abandon();
        unregisterIndexFlush(db);
      },
    };
  }

  async write(entries: readonly PreparedWrite[], source: string): Promise<WriteResult[]> {
    const keys = entries.map((entry) => `${entry.type}/${entry.id}`);
    for (const key of keys) this.notYetDurable.set(key, (this.notYetDurable.get(key) ?? 0) + 1);
    let results: WriteResult[];
    try {
      results = await this.queue.run(() => entries.map((entry) => this.apply(entry, source)));
    } finally {
      for (const key of keys) {
        const left = this.notYetDurable.get(key)! - 1;
        if (left === 0) this.notYetDurable.delete(key);
        else this.notYetDurable.set(key, left);
      }
    }
    const journaled = results.filter((result) => result.outcome === 'created' || result.outcome === 'updated').length;
    if (journaled > 0) this.options.onJournaled?.(journaled);
    return results;
  }

  async read(type: string, id: string): Promise<StoredVersion> {
    const current = this.versions.current(type, id);
    const stored = current && !current.deleted ? this.loadVersion(type, id, current.versionId) : undefined;
    await this.onceDurable(type, [id]);
    if (!current) throw new OperationOutcomeError(notFound);
    if (!stored) throw new OperationOutcomeError(gone);
    return stored;
  }

  async vread(type: string, id: string, versionId: string): Promise<StoredVersion> {
    const version = Number(versionId);
    if (!Number.isSafeInteger(version) || version < 1) throw new OperationOutcomeError(notFound);
    const record = this.versions.version(type, id, version);
    await this.onceDurable(type, [id]);
    if (!record) throw new OperationOutcomeError(notFound);
    const stored = this.openVersion(type, id, record);
    if (stored.deleted) throw new OperationOutcomeError(gone);
    return stored;
  }

  async history(type: string, id: string): Promise<StoredVersion[]> {
    const records = this.versions.history(type, id);
    await this.onceDurable(type, [id]);
    if (records.length === 0) throw new OperationOutcomeError(notFound);
    // A resource re-assigned between patients has versions in two compartments: an erased
    // patient's versions drop out, the others stay readable. Only when nothing is left is it 410.
    const versions: StoredVersion[] = [];
    let erased: unknown;
    for (const record of records) {
      try {
        versions.push(this.openVersion(type, id, record));
      } catch (error) {
        if (!(error instanceof OperationOutcomeError) || getStatus(error.outcome) !== 410) throw error;
        erased = error;
      }
    }
    if (versions.length === 0) throw erased;
    return versions;
  }

  async search(query: SearchQuery): Promise<SearchResult> {
    // Before the rows below: they and the durability check must share one turn of the event loop.
    const anchored = isAnchorProvenanceQuery(query) ? await this.anchorProvenance(query) : [];
    this.indexQueue.flush();
    if (anchored.length === 0) {
      const page = this.index.find(query);
      const resources = page.ids.map((row) => this.loadVersion(query.type, row.id, row.versionId).resource);
      const included = query.include?.length || query.revinclude?.length ? this.included(query, resources) : [];
      await this.onceDurable(query.type, page.ids.map((row) => row.id));
      for (const resource of included) await this.onceDurable(resource.resourceType, [resource.id!]);
      return included.length > 0 ? { total: page.total, resources, included } : { total: page.total, resources };
    }
    // Anchor Provenance come first, then stored Provenance with the same target.
    const stored = this.index.find({ ...query, offset: 0, count: query.offset + query.count });
    const all = [...anchored, ...stored.ids.map((row) => this.loadVersion(query.type, row.id, row.versionId).resource)];
    await this.onceDurable(query.type, stored.ids.map((row) => row.id));
    return {
      total: anchored.length + stored.total,
      resources: query.summaryCount ? [] : all.slice(query.offset, query.offset + query.count),
    };
  }

  async receipt(type: string, id: string, versionId: string): Promise<ReceiptStatus> {
    const version = Number(versionId);
    const exists = Number.isSafeInteger(version) && this.versions.version(type, id, version) !== undefined;
    await this.onceDurable(type, [id]);
    if (!exists) throw new OperationOutcomeError(notFound);
    return this.options.receipts.receipt(type, id, versionId);
  }

  /**
   * Called right after reading rows of these resources, in the same turn of the event loop: when
   * any of them has a write whose fsync is still running, waits for an fsync that covers it. A
   * resource not in the map has every committed version on disk (a write leaves the map only
   * after its fsync), so reads of other resources do not wait.
   */
  private onceDurable(type: string, ids: readonly string[]): Promise<void> | undefined {
    if (this.notYetDurable.size === 0) return undefined;
    return ids.some((id) => this.notYetDurable.has(`${type}/${id}`)) ? this.queue.durable() : undefined;
  }

  private async anchorProvenance(query: SearchQuery): Promise<FhirResource[]> {
    const targets = query.params[0]!.value.split(',').flatMap((target) => {
      const [type, id] = target.split('/');
      return type && id && this.options.isKnownType(type) ? [{ type, id }] : [];
    });
    return (await Promise.all(targets.map(({ type, id }) => this.options.receipts.provenanceFor(type, id)))).flat();
  }

  /**
   * The index is rebuilt from the vault, once, at open when it was built by an earlier version of
   * the extraction (SEARCH_INDEX_VERSION), when its file is new or was lost, and when it is ahead of
   * the journal (a power cut took the last commits of the node's database but not of the index
   * file, which commits without an fsync of its own). An erased patient's resources cannot be read
   * and stay out of the index.
   */
  private reindexIfStale(): void {
    const { db } = this.options;
    const through = readIndexState(db, INDEX_THROUGH_SEQ_KEY);
    const end = this.journalEnd();
    if (readIndexState(db, SEARCH_INDEX_STATE_KEY) === SEARCH_INDEX_VERSION && through !== undefined && Number(through) <= end) return;
    db.transaction(() => {
      this.index.clearAll();
      const rows = db.prepare('SELECT type, id, version_id AS versionId FROM resource_current WHERE deleted = 0').all() as Array<{
        type: string;
        id: string;
        versionId: number;
      }>;
      for (const row of rows) {
        const resource = this.indexedResource(row.type, row.id, { versionId: row.versionId, deleted: false });
        if (resource) this.index.replace(row.type, row.id, [], this.options.indexer.entries(resource));
      }
      const setState = indexStateWriter(db);
      setState(SEARCH_INDEX_STATE_KEY, SEARCH_INDEX_VERSION);
      setState(INDEX_THROUGH_SEQ_KEY, String(end));
    })();
  }

  /**
   * Index rows not yet written when the node stopped (a crash, kill -9) or when the index writer
   * thread died are written from the journal: each resource written after the last recorded batch
   * gets the rows of its current version, and loses those of every version it had since then (an
   * in-transaction flush may have written any of them).
   */
  private catchUpIndex(): void {
    const { db } = this.options;
    const through = Number(readIndexState(db, INDEX_THROUGH_SEQ_KEY) ?? 0);
    const end = this.journalEnd();
    if (through >= end) return;
    const written = db.prepare('SELECT type, id, MIN(version_id) AS first FROM journal WHERE seq > ? GROUP BY type, id').all(through) as Array<{
      type: string;
      id: string;
      first: number;
    }>;
    const changes: IndexChange[] = [];
    for (const { type, id, first } of written) {
      const current = this.versions.current(type, id);
      let remove: IndexEntry[] = [];
      for (let version = Math.max(1, first - 1); current && version <= current.versionId; version++) {
        remove = remove.concat(this.indexedEntries(type, id, { versionId: version, deleted: this.versions.version(type, id, version)?.deleted ?? true }));
      }
      changes.push({ type, id, remove, add: this.indexedEntries(type, id, current) });
    }
    db.transaction(() => {
      this.index.apply(changes);
      indexStateWriter(db)(INDEX_THROUGH_SEQ_KEY, String(end));
    })();
  }

  private included(query: SearchQuery, matches: readonly FhirResource[]): FhirResource[] {
    this.indexQueue.flush();
    return resolveIncludes(
      {
        index: this.index,
        isKnownType: this.options.isKnownType,
        current: (type, id) => {
          const current = this.versions.current(type, id);
          if (!current || current.deleted) return undefined;
          try {
            return this.loadVersion(type, id, current.versionId).resource;
          } catch (error) {
            // An erased patient's data is left out of an include, as from any read.
            if (error instanceof OperationOutcomeError && getStatus(error.outcome) === 410) return undefined;
            throw error;
          }
        },
      },
      query,
      matches,
    );
  }

  /** One write inside the group commit: its preconditions against the current state, then the rows. */
  private apply(entry: PreparedWrite, source: string): WriteResult {
    const { op, type, id } = entry;
    if (op.kind === 'create' && op.ifNoneExist) {
      // Inside the group commit: the rows of earlier writes (this commit's too) go in first.
      this.indexQueue.flush();
      const matches = this.index.matchingIds(type, op.ifNoneExist);
      if (matches.length > 1) {
        throw new OperationOutcomeError({
          ...preconditionFailed,
          issue: [{ severity: 'error', code: 'multiple-matches', details: { text: 'If-None-Exist matched more than one resource' } }],
        });
      }
      if (matches.length === 1) {
        const existing = this.currentVersion(type, matches[0]!);
        return { resource: existing.resource, versionId: existing.versionId, lastUpdated: existing.lastUpdated, outcome: 'existing' };
      }
    }
    const current = this.versions.current(type, id);
    if (op.kind === 'create' && current) {
      throw new OperationOutcomeError(badRequest(`${type}/${id} already exists`));
    }
    if (op.kind === 'update' && op.ifMatch !== undefined) {
      if (!current || String(current.versionId) !== op.ifMatch) {
        throw new OperationOutcomeError({
          ...preconditionFailed,
          issue: [{ severity: 'error', code: 'conflict', details: { text: `If-Match ${op.ifMatch} is not the current version` } }],
        });
      }
    }

    if (op.kind === 'delete') {
      if (!current || current.deleted) {
        return { resource: { resourceType: type, id }, versionId: String(current?.versionId ?? 0), lastUpdated: '', outcome: 'unchanged' };
      }
      return this.writeVersion(type, id, current.versionId + 1, undefined, tombstoneDigest(type, id), source, this.indexedResource(type, id, current));
    }

    const content = entry.content!;
    if (current && !current.deleted && current.digest.equals(content.digest)) {
      const existing = this.currentVersion(type, id);
      return { resource: existing.resource, versionId: existing.versionId, lastUpdated: existing.lastUpdated, outcome: 'unchanged' };
    }
    return this.writeVersion(type, id, (current?.versionId ?? 0) + 1, content.resource, content.digest, source, this.indexedResource(type, id, current));
  }

  /**
   * The index rows the current version has, recomputed from it: the tables have no index by owner
   * to find them with. A deleted version has none, and neither has an erased one (erasure purged them).
   */
  private indexedEntries(type: string, id: string, current: { versionId: number; deleted: boolean } | undefined): IndexEntry[] {
    const resource = this.indexedResource(type, id, current);
    return resource ? this.options.indexer.entries(resource) : [];
  }

  /** The version whose rows the index holds for a resource: undefined when deleted or erased. */
  private indexedResource(type: string, id: string, current: { versionId: number; deleted: boolean } | undefined): FhirResource | undefined {
    if (!current || current.deleted) return undefined;
    try {
      return this.loadVersion(type, id, current.versionId).resource;
    } catch (error) {
      if (error instanceof OperationOutcomeError && getStatus(error.outcome) === 410) return undefined;
      throw error;
    }
  }

  /** Journal row (salted leaf), sealed version, current pointer, search index. */
  private writeVersion(
    type: string,
    id: string,
    version: number,
    content: FhirResource | undefined,
    digest: Buffer,
    source: string,
    previous: FhirResource | undefined,
  ): WriteResult {
    const lastUpdated = this.now().toISOString();
    const versionId = String(version);
    const { salt, leaf } = hashVersion(type, id, versionId, digest);
    const journalSeq = this.journal.append({ type, id, versionId: version, digest, salt, leaf, source, receivedAt: Date.now() });

    let stored: FhirResource = { resourceType: type, id };
    let compartment = NODE_COMPARTMENT;
    let sealed: Buffer | null = null;
    if (content) {
      stored = { ...content, meta: { ...(content.meta ?? {}), versionId, lastUpdated } };
      compartment = compartmentOf(stored) ?? NODE_COMPARTMENT;
      sealed = this.options.vault.seal(compartment, `${type}/${id}/_history/${versionId}`, Buffer.from(JSON.stringify(stored)));
    }
    this.versions.put(type, id, { versionId: version, lastUpdated, deleted: !content, compartment, sealed, digest, journalSeq });
    this.indexQueue.replace(type, id, previous, content ? stored : undefined, content ? version : null);
    return { resource: stored, versionId, lastUpdated, outcome: version === 1 ? 'created' : 'updated' };
  }

  private currentVersion(type: string, id: string): StoredVersion {
    return this.loadVersion(type, id, this.versions.current(type, id)!.versionId);
  }

  private loadVersion(type: string, id: string, version: number): StoredVersion {
    const record = this.versions.version(type, id, version);
    if (!record) throw new OperationOutcomeError(notFound);
    return this.openVersion(type, id, record);
  }

  private openVersion(type: string, id: string, record: VersionRecord): StoredVersion {
    const versionId = String(record.versionId);
    if (record.deleted || !record.sealed) {
      return { resource: { resourceType: type, id }, versionId, lastUpdated: record.lastUpdated, deleted: true };
    }
    const plaintext = this.options.vault.open(record.compartment, `${type}/${id}/_history/${versionId}`, record.sealed);
    return { resource: JSON.parse(plaintext.toString('utf8')) as FhirResource, versionId, lastUpdated: record.lastUpdated, deleted: false };
  }
}

/**
 * Bumped whenever what the indexer extracts changes (the catalog's codes or definitions included);
 * the store then indexes everything again. Unbumped, an update would look for the rows of the
 * version it replaces under the new extraction and leave the old rows matching.
 */
const SEARCH_INDEX_VERSION = '3';
const SEARCH_INDEX_STATE_KEY = 'search_index_version';

/** `Provenance?target=...` and nothing else: answered with anchor Provenance first. */
function isAnchorProvenanceQuery(query: SearchQuery): boolean {
  return query.type === 'Provenance' && query.params.length === 1 && query.params[0]!.code === 'target';
}
