// What the resource store is made of, each behind a narrow interface: current and history
// versions, the journal, the search index and the vault. The SQLite classes implement them
// (version-store.ts, journal-store.ts, search-engine.ts, vault.ts); resource-store.ts composes
// them under the group commit and offers the intake pipeline `ResourceStorage`.
//
// The row ports are synchronous on purpose: they run inside one group commit (write-queue.ts),
// a single transaction per group, which is what keeps intake at thousands of durable writes a
// second. `ResourceStorage`, the port the pipeline sees, returns Promises, and `ReceiptSource`
// may, so a store whose rows live elsewhere (PostgreSQL, docs/postgres-store.md) can stand in.
// The batches and the journal's read side are anchoring's port (anchoring/ports.ts, BatchLog).

import type { IndexEntry } from './search-index.js';
import type { FhirResource, ReceiptStatus, SearchQuery, SearchResult, StoredVersion, WriteOp, WriteResult } from './service.js';

/** The current pointer of a resource: its newest version, a deletion included. */
export interface CurrentVersion {
  versionId: number;
  deleted: boolean;
  lastUpdated: string;
  digest: Buffer;
}

/** One stored version as kept: sealed content under its compartment's data key, or a deletion. */
export interface VersionRecord {
  versionId: number;
  lastUpdated: string;
  deleted: boolean;
  compartment: string;
  sealed: Buffer | null;
}

export interface VersionStore {
  current(type: string, id: string): CurrentVersion | undefined;
  version(type: string, id: string, versionId: number): VersionRecord | undefined;
  /** Newest first. */
  history(type: string, id: string): VersionRecord[];
  /** Adds a version and makes it current. */
  put(type: string, id: string, version: VersionRecord & { digest: Buffer; journalSeq: number }): void;
}

export interface JournalEntry {
  type: string;
  id: string;
  versionId: number;
  digest: Buffer;
  salt: Buffer;
  leaf: Buffer;
  /** Which writer it came from (fhir-rest, hl7v2, kafka...). */
  source: string;
  receivedAt: number;
}

export interface JournalStore {
  /** Appends a leaf and returns its journal sequence number (gapless, increasing). */
  append(entry: JournalEntry): number;
}

/** One page of ids (current versions) matching a search, with the total count. */
export interface SearchPage {
  total: number;
  ids: Array<{ id: string; versionId: number }>;
}

/** One resource's change to the search index: the rows it may have now, and the rows it must have. */
export interface IndexChange {
  type: string;
  id: string;
  remove: readonly IndexEntry[];
  add: readonly IndexEntry[];
}

export interface SearchIndexStore {
  /** Replaces what the index holds for a resource: the entries of the version it replaces by those of the new one. */
  replace(type: string, id: string, previous: readonly IndexEntry[], next: readonly IndexEntry[]): void;
  /** Applies many resources' changes at once, inserts sorted by key; applying one twice is harmless. */
  apply(changes: readonly IndexChange[]): void;
  /** Empties the index, before every current resource is indexed again. */
  clearAll(): void;
  find(query: SearchQuery): SearchPage;
  /** Ids matching a conditional-create query string, at most two (one is enough to know "several"). */
  matchingIds(type: string, queryString: string): string[];
  /** The references a reference parameter of these resources holds (`_include`). */
  referencesFrom(type: string, ids: readonly string[], code: string): string[];
  /** Current resources of `type` whose reference parameter points at one of `references` (`_revinclude`). */
  referrers(type: string, code: string, references: readonly string[], limit: number): Array<{ id: string; versionId: number }>;
}

export interface SealingVault {
  /** Encrypts under a compartment's data key, creating the key on first use (inside the caller's transaction). */
  seal(compartment: string, associated: string, plaintext: Buffer): Buffer;
  /** Throws OperationOutcomeError 410 when the compartment was erased. */
  open(compartment: string, associated: string, sealed: Buffer): Buffer;
  /** Drops cached keys after a rollback that may have discarded freshly created ones. */
  forgetCachedKeys(): void;
}

/** What the store needs from anchoring: receipts and the anchor Provenance it serves in searches. */
export interface ReceiptSource {
  receipt(type: string, id: string, versionId: string): ReceiptStatus | Promise<ReceiptStatus>;
  /** Provenance for each anchored version of a resource; served as search results, never stored. */
  provenanceFor(type: string, id: string): FhirResource[] | Promise<FhirResource[]>;
}

/** A write the pipeline has checked and hashed: only what needs the version id is left to do. */
export interface PreparedWrite {
  op: WriteOp;
  type: string;
  id: string;
  /** The R5 resource (id set) and the SHA-256 of its canonical bytes; absent for a delete. */
  content?: { resource: FhirResource; digest: Buffer };
}

/** The resource store as the intake pipeline sees it. */
export interface ResourceStorage {
  /**
   * Stores prepared writes in one durable commit, all or nothing, and resolves only once that
   * commit is on stable storage. Per write: version id, salted leaf, sealed content, journal row,
   * current pointer, search index.
   */
  write(entries: readonly PreparedWrite[], source: string): Promise<WriteResult[]>;
  read(type: string, id: string): Promise<StoredVersion>;
  vread(type: string, id: string, versionId: string): Promise<StoredVersion>;
  history(type: string, id: string): Promise<StoredVersion[]>;
  search(query: SearchQuery): Promise<SearchResult>;
  receipt(type: string, id: string, versionId: string): Promise<ReceiptStatus>;
  close(): void;
}
