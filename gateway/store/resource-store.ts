// The resource service over SQLite. A write is validated and hashed before it queues, then in
// one transaction: the version row (sealed in the vault), the current pointer, the search index
// and the journal row holding the salted leaf. Nothing is acknowledged before that transaction
// is on disk, and a rejected write leaves no row anywhere.
//
// Nothing is shown before it is on disk either. A group commit is visible to other statements
// as soon as SQLite commits it, while its fsync still runs on the thread pool (write-queue.ts).
// A read of a resource with a write in that window waits for the fsync, so no reader sees a
// version that a power cut could still take back (the writer has not heard 201 yet either).
// Reads of other resources do not wait.

import { OperationOutcomeError, badRequest, getStatus, gone, notFound, preconditionFailed } from '@medplum/core';
import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { randomUUID } from 'node:crypto';
import { hashVersion, tombstoneDigest, type PreparedContent, prepareContent } from '../intake/hashing.js';
import type { IntakeItem, IntakeItemResult, IntakePort } from '../intake/port.js';
import type { Db } from './database.js';
import { SearchEngine } from './search-engine.js';
import { compartmentOf, type SearchIndexer } from './search-index.js';
import type {
  FhirResource,
  ReceiptStatus,
  ResourceService,
  SearchQuery,
  SearchResult,
  StoredVersion,
  WriteOp,
  WriteResult,
} from './service.js';
import { NODE_COMPARTMENT, type Vault } from './vault.js';
import type { WalSync } from './wal-sync.js';
import { WriteQueue } from './write-queue.js';

export type ResourceValidator = (resource: FhirResource) => OperationOutcomeIssue[];

export interface ReceiptSource {
  receipt(type: string, id: string, versionId: string): ReceiptStatus;
  /** Provenance for each anchored version of a resource; served as search results, never stored. */
  provenanceFor(type: string, id: string): FhirResource[];
}

export interface ResourceStoreOptions {
  db: Db;
  vault: Vault;
  indexer: SearchIndexer;
  /** R5 structural validation; any error or fatal issue rejects the write. */
  validate: ResourceValidator;
  isKnownType: (type: string) => boolean;
  receipts: ReceiptSource;
  /** Told after each commit that added journal rows, so the batcher can close early. */
  onJournaled?: (count: number) => void;
  now?: () => Date;
  /** The group commit's WAL fsync; tests pass one whose fsync they can hold. */
  wal?: WalSync;
}

interface CurrentRow {
  version_id: number;
  deleted: number;
  last_updated: string;
  digest: Buffer;
}

interface VersionRow {
  version_id: number;
  last_updated: string;
  deleted: number;
  compartment: string;
  sealed: Buffer | null;
}

// FHIR ids, less those made only of dots: `.` and `..` are path segments every URL resolver rewrites.
const ID_PATTERN = /^(?!\.+$)[A-Za-z0-9\-.]{1,64}$/;
const DEFAULT_SOURCE = 'fhir-rest';

export class ResourceStore implements ResourceService, IntakePort {
  private readonly queue: WriteQueue;
  private readonly search_: SearchEngine;
  private readonly now: () => Date;
  private readonly statements;
  /** `Type/id` of writes queued or committed whose fsync has not completed, with how many. */
  private readonly notYetDurable = new Map<string, number>();

  constructor(private readonly options: ResourceStoreOptions) {
    const { db } = options;
    this.queue = new WriteQueue(db, () => options.vault.forgetCachedKeys(), { wal: options.wal });
    this.search_ = new SearchEngine(db, options.indexer);
    this.now = options.now ?? (() => new Date());
    this.statements = {
      current: db.prepare('SELECT version_id, deleted, last_updated, digest FROM resource_current WHERE type = ? AND id = ?'),
      version: db.prepare(
        'SELECT version_id, last_updated, deleted, compartment, sealed FROM resource_versions WHERE type = ? AND id = ? AND version_id = ?',
      ),
      history: db.prepare(
        'SELECT version_id, last_updated, deleted, compartment, sealed FROM resource_versions WHERE type = ? AND id = ? ORDER BY version_id DESC',
      ),
      insertVersion: db.prepare(
        `INSERT INTO resource_versions (type, id, version_id, last_updated, deleted, compartment, sealed, digest, journal_seq)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      upsertCurrent: db.prepare(
        `INSERT INTO resource_current (type, id, version_id, deleted, last_updated, digest) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(type, id) DO UPDATE SET version_id = excluded.version_id, deleted = excluded.deleted,
           last_updated = excluded.last_updated, digest = excluded.digest`,
      ),
      clearIndex: db.prepare('DELETE FROM search_index WHERE type = ? AND id = ?'),
      insertIndex: db.prepare('INSERT INTO search_index (type, id, param, value) VALUES (?, ?, ?, ?)'),
      insertJournal: db.prepare(
        `INSERT INTO journal (type, id, version_id, digest, salt, leaf, source, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
    };
  }

  async create(resource: FhirResource, options: { ifNoneExist?: string } = {}): Promise<WriteResult> {
    const [result] = await this.applyOps([{ kind: 'create', resource, ifNoneExist: options.ifNoneExist }], DEFAULT_SOURCE);
    return result!;
  }

  async update(type: string, id: string, resource: FhirResource, options: { ifMatch?: string } = {}): Promise<WriteResult> {
    const [result] = await this.applyOps([{ kind: 'update', type, id, resource, ifMatch: options.ifMatch }], DEFAULT_SOURCE);
    return result!;
  }

  async delete(type: string, id: string): Promise<{ versionId: string | null }> {
    this.assertType(type);
    const [result] = await this.applyOps([{ kind: 'delete', type, id }], DEFAULT_SOURCE);
    return { versionId: result!.outcome === 'unchanged' ? null : result!.versionId };
  }

  transaction(ops: WriteOp[]): Promise<WriteResult[]> {
    return this.applyOps(ops, DEFAULT_SOURCE);
  }

  /** Releases what the store holds beside the database; call after closing the database. */
  close(): void {
    this.queue.close();
  }

  async submit(items: IntakeItem[], options: { source: string; atomic?: boolean }): Promise<IntakeItemResult[]> {
    const ops = items.map((item): WriteOp => ({
      kind: 'update',
      type: item.resource.resourceType,
      id: item.resource.id ?? '',
      resource: item.resource,
    }));
    if (options.atomic) {
      const results = await this.applyOps(ops, options.source);
      return results.map((result) => ({ ok: true, result }));
    }
    return Promise.all(
      ops.map(async (op): Promise<IntakeItemResult> => {
        try {
          const [result] = await this.applyOps([op], options.source);
          return { ok: true, result: result! };
        } catch (error) {
          return rejection(error);
        }
      }),
    );
  }

  async read(type: string, id: string): Promise<StoredVersion> {
    this.assertType(type);
    const current = this.statements.current.get(type, id) as CurrentRow | undefined;
    const stored = current && !current.deleted ? this.loadVersion(type, id, current.version_id) : undefined;
    await this.onceDurable(type, [id]);
    if (!current) throw new OperationOutcomeError(notFound);
    if (!stored) throw new OperationOutcomeError(gone);
    return stored;
  }

  async vread(type: string, id: string, versionId: string): Promise<StoredVersion> {
    this.assertType(type);
    const version = Number(versionId);
    if (!Number.isSafeInteger(version) || version < 1) throw new OperationOutcomeError(notFound);
    const row = this.statements.version.get(type, id, version) as VersionRow | undefined;
    await this.onceDurable(type, [id]);
    if (!row) throw new OperationOutcomeError(notFound);
    const stored = this.openVersion(type, id, row);
    if (stored.deleted) throw new OperationOutcomeError(gone);
    return stored;
  }

  async history(type: string, id: string): Promise<StoredVersion[]> {
    this.assertType(type);
    const rows = this.statements.history.all(type, id) as VersionRow[];
    await this.onceDurable(type, [id]);
    if (rows.length === 0) throw new OperationOutcomeError(notFound);
    // A resource re-assigned between patients has versions in two compartments: an erased
    // patient's versions drop out, the others stay readable. Only when nothing is left is it 410.
    const versions: StoredVersion[] = [];
    let erased: unknown;
    for (const row of rows) {
      try {
        versions.push(this.openVersion(type, id, row));
      } catch (error) {
        if (!(error instanceof OperationOutcomeError) || getStatus(error.outcome) !== 410) throw error;
        erased = error;
      }
    }
    if (versions.length === 0) throw erased;
    return versions;
  }

  async search(query: SearchQuery): Promise<SearchResult> {
    this.assertType(query.type);
    const anchored = this.anchorProvenance(query);
    if (anchored.length === 0) {
      const page = this.search_.find(query);
      const resources = page.ids.map((row) => this.loadVersion(query.type, row.id, row.versionId).resource);
      await this.onceDurable(query.type, page.ids.map((row) => row.id));
      return { total: page.total, resources };
    }
    // Anchor Provenance come first, then stored Provenance with the same target.
    const stored = this.search_.find({ ...query, offset: 0, count: query.offset + query.count });
    const all = [...anchored, ...stored.ids.map((row) => this.loadVersion(query.type, row.id, row.versionId).resource)];
    await this.onceDurable(query.type, stored.ids.map((row) => row.id));
    return {
      total: anchored.length + stored.total,
      resources: query.summaryCount ? [] : all.slice(query.offset, query.offset + query.count),
    };
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

  private anchorProvenance(query: SearchQuery): FhirResource[] {
    if (query.type !== 'Provenance') return [];
    const targets = query.params.filter((param) => param.code === 'target');
    if (targets.length !== 1 || query.params.length !== targets.length) return [];
    return targets[0]!.value.split(',').flatMap((target) => {
      const [type, id] = target.split('/');
      return type && id && this.options.isKnownType(type) ? this.options.receipts.provenanceFor(type, id) : [];
    });
  }

  async receipt(type: string, id: string, versionId: string): Promise<ReceiptStatus> {
    this.assertType(type);
    const version = Number(versionId);
    const exists = Number.isSafeInteger(version) && this.statements.version.get(type, id, version) !== undefined;
    await this.onceDurable(type, [id]);
    if (!exists) throw new OperationOutcomeError(notFound);
    return this.options.receipts.receipt(type, id, versionId);
  }

  private async applyOps(ops: WriteOp[], source: string): Promise<WriteResult[]> {
    // Validation and hashing run before the write queue: CPU work stays out of the
    // transaction, and an invalid entry rejects the whole request before anything is written.
    const prepared = ops.map((op, index) => this.prepare(op, ops.length > 1 ? index : undefined));
    const keys = prepared.map((entry) => `${entry.type}/${entry.id}`);
    for (const key of keys) this.notYetDurable.set(key, (this.notYetDurable.get(key) ?? 0) + 1);
    let results: WriteResult[];
    try {
      results = await this.queue.run(() => prepared.map((entry) => this.applyPrepared(entry, source)));
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

  private prepare(op: WriteOp, entryIndex: number | undefined): PreparedOp {
    const where = entryIndex === undefined ? '' : `Bundle.entry[${entryIndex}]: `;
    if (op.kind === 'delete') {
      this.assertType(op.type);
      return { op, type: op.type, id: op.id };
    }
    const resource = op.resource;
    if (!resource || typeof resource !== 'object' || typeof resource.resourceType !== 'string') {
      throw new OperationOutcomeError(badRequest(`${where}the body is not a FHIR resource`));
    }
    const type = resource.resourceType;
    this.assertType(type);
    let id: string;
    if (op.kind === 'update') {
      if (op.type !== type) {
        throw new OperationOutcomeError(badRequest(`${where}resourceType ${type} does not match the URL (${op.type})`));
      }
      if (resource.id !== undefined && resource.id !== op.id) {
        throw new OperationOutcomeError(badRequest(`${where}the resource id does not match the URL id`));
      }
      id = op.id;
    } else {
      id = op.assignedId ?? randomUUID();
    }
    if (!ID_PATTERN.test(id)) throw new OperationOutcomeError(badRequest(`${where}invalid resource id "${id}"`));

    const candidate: FhirResource = { ...resource, id };
    const issues = this.options.validate(candidate);
    const errors = issues.filter((issue) => issue.severity === 'error' || issue.severity === 'fatal');
    if (errors.length > 0) {
      const outcome: OperationOutcome = {
        resourceType: 'OperationOutcome',
        // The validator words most issues in details.text; the prefix must not hide it.
        issue: errors.map((issue) => (where ? { ...issue, diagnostics: `${where}${issue.diagnostics ?? issue.details?.text ?? ''}` } : issue)),
      };
      throw new OperationOutcomeError(outcome);
    }
    return { op, type, id, content: prepareContent(candidate) };
  }

  private applyPrepared(entry: PreparedOp, source: string): WriteResult {
    const { op, type, id } = entry;
    if (op.kind === 'create' && op.ifNoneExist) {
      const matches = this.search_.matchingIds(type, op.ifNoneExist);
      if (matches.length > 1) {
        throw new OperationOutcomeError({
          ...preconditionFailed,
          issue: [{ severity: 'error', code: 'multiple-matches', details: { text: 'If-None-Exist matched more than one resource' } }],
        });
      }
      if (matches.length === 1) {
        const existing = this.read_(type, matches[0]!);
        return { resource: existing.resource, versionId: existing.versionId, lastUpdated: existing.lastUpdated, outcome: 'existing' };
      }
    }
    const current = this.statements.current.get(type, id) as CurrentRow | undefined;
    if (op.kind === 'create' && current) {
      throw new OperationOutcomeError(badRequest(`${type}/${id} already exists`));
    }
    if (op.kind === 'update' && op.ifMatch !== undefined) {
      if (!current || String(current.version_id) !== op.ifMatch) {
        throw new OperationOutcomeError({
          ...preconditionFailed,
          issue: [{ severity: 'error', code: 'conflict', details: { text: `If-Match ${op.ifMatch} is not the current version` } }],
        });
      }
    }

    if (op.kind === 'delete') {
      if (!current || current.deleted) {
        return { resource: { resourceType: type, id }, versionId: String(current?.version_id ?? 0), lastUpdated: '', outcome: 'unchanged' };
      }
      return this.writeVersion(type, id, current.version_id + 1, null, tombstoneDigest(type, id), source);
    }

    const content = entry.content!;
    if (current && !current.deleted && current.digest.equals(content.digest)) {
      const existing = this.read_(type, id);
      return { resource: existing.resource, versionId: existing.versionId, lastUpdated: existing.lastUpdated, outcome: 'unchanged' };
    }
    return this.writeVersion(type, id, (current?.version_id ?? 0) + 1, content, content.digest, source);
  }

  private writeVersion(
    type: string,
    id: string,
    version: number,
    content: PreparedContent | null,
    digest: Buffer,
    source: string,
  ): WriteResult {
    const lastUpdated = this.now().toISOString();
    const versionId = String(version);
    const { salt, leaf } = hashVersion(type, id, versionId, digest);
    const journal = this.statements.insertJournal.run(type, id, version, digest, salt, leaf, source, Date.now());
    const journalSeq = Number(journal.lastInsertRowid);

    let stored: FhirResource = { resourceType: type, id };
    let compartment = NODE_COMPARTMENT;
    let sealed: Buffer | null = null;
    if (content) {
      stored = { ...content.resource, meta: { ...(content.resource.meta ?? {}), versionId, lastUpdated } };
      compartment = compartmentOf(stored) ?? NODE_COMPARTMENT;
      sealed = this.options.vault.seal(compartment, `${type}/${id}/_history/${versionId}`, Buffer.from(JSON.stringify(stored)));
    }
    this.statements.insertVersion.run(type, id, version, lastUpdated, content ? 0 : 1, compartment, sealed, digest, journalSeq);
    this.statements.upsertCurrent.run(type, id, version, content ? 0 : 1, lastUpdated, digest);
    if (version > 1) this.statements.clearIndex.run(type, id);
    if (content) {
      for (const entry of this.options.indexer.entries(stored)) {
        this.statements.insertIndex.run(type, id, entry.param, entry.value);
      }
    }
    return { resource: stored, versionId, lastUpdated, outcome: version === 1 ? 'created' : 'updated' };
  }

  private read_(type: string, id: string): StoredVersion {
    const current = this.statements.current.get(type, id) as CurrentRow;
    return this.loadVersion(type, id, current.version_id);
  }

  private loadVersion(type: string, id: string, version: number): StoredVersion {
    const row = this.statements.version.get(type, id, version) as VersionRow | undefined;
    if (!row) throw new OperationOutcomeError(notFound);
    return this.openVersion(type, id, row);
  }

  private openVersion(type: string, id: string, row: VersionRow): StoredVersion {
    const versionId = String(row.version_id);
    if (row.deleted || !row.sealed) {
      return { resource: { resourceType: type, id }, versionId, lastUpdated: row.last_updated, deleted: true };
    }
    const plaintext = this.options.vault.open(row.compartment, `${type}/${id}/_history/${versionId}`, row.sealed);
    return { resource: JSON.parse(plaintext.toString('utf8')) as FhirResource, versionId, lastUpdated: row.last_updated, deleted: false };
  }

  private assertType(type: string): void {
    if (!this.options.isKnownType(type)) {
      throw new OperationOutcomeError({
        ...notFound,
        issue: [{ severity: 'error', code: 'not-supported', details: { text: `Unknown resource type ${type}` } }],
      });
    }
  }
}

interface PreparedOp {
  op: WriteOp;
  type: string;
  id: string;
  content?: PreparedContent;
}

function rejection(error: unknown): IntakeItemResult {
  if (error instanceof OperationOutcomeError) {
    const outcome = error.outcome;
    return {
      ok: false,
      outcome: { resourceType: 'OperationOutcome', issue: outcome.issue ?? [] },
      status: getStatus(outcome),
    };
  }
  throw error;
}
