// The data path, from request body to durable journal entry. Every writer comes through here:
// the FHIR API (both bases), the EHR adapters (HL7 v2, Kafka, REST sync, Subscriptions, Bulk
// import), the consent capability's own Consents and AuditEvents, erasure, `careledger sync`.
//
//   1. shape check            a JSON object with a resourceType the node stores
//   2. R4 validation and      at the R4 edges, before this module: the FHIR R4 base
//      conversion to R5       (fhir/resource-intake.ts), the adapters (fhir-adapters/rest-sync/r5-intake.ts)
//   3. id                     the URL's, the EHR's, or a new UUID for a create
//   4. R5 validation          errors reject the write (the whole request for a transaction)
//   5. canonicalization       RFC 8785 after dropping text and meta, then
//   6. digest                 SHA-256 of the canonical bytes (intake/hashing.ts)
//   7. seal and journal       one group commit (store/resource-store.ts): version id, salted
//                             leaf in the journal, the version sealed in the vault, current
//                             pointer, search index; resolves once the commit is on disk
//
// Steps 1-6 are CPU work and run before the write queue, so an invalid write is rejected before
// anything is written and the commit holds no validation. Reads pass through to the store after
// the same resource type check.

import { OperationOutcomeError, badRequest, getStatus, notFound } from '@medplum/core';
import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { randomUUID } from 'node:crypto';
import type { PreparedWrite, ResourceStorage } from '../store/ports.js';
import type {
  FhirResource,
  ReceiptStatus,
  ResourceService,
  SearchQuery,
  SearchResult,
  StoredVersion,
  WriteOp,
  WriteResult,
} from '../store/service.js';
import { prepareContent } from './hashing.js';
import type { IntakeItem, IntakeItemResult, IntakePort } from './port.js';

type ResourceValidator = (resource: FhirResource) => OperationOutcomeIssue[];

interface IntakePipelineOptions {
  store: ResourceStorage;
  /** R5 structural validation; any error or fatal issue rejects the write. */
  validate: ResourceValidator;
  isKnownType: (type: string) => boolean;
}

// FHIR ids, less those made only of dots: `.` and `..` are path segments every URL resolver rewrites.
const ID_PATTERN = /^(?!\.+$)[A-Za-z0-9\-.]{1,64}$/;
const DEFAULT_SOURCE = 'fhir-rest';

export class IntakePipeline implements ResourceService, IntakePort {
  constructor(private readonly options: IntakePipelineOptions) {}

  async create(resource: FhirResource, options: { ifNoneExist?: string } = {}): Promise<WriteResult> {
    const [result] = await this.write([{ kind: 'create', resource, ifNoneExist: options.ifNoneExist }], DEFAULT_SOURCE);
    return result!;
  }

  async update(type: string, id: string, resource: FhirResource, options: { ifMatch?: string } = {}): Promise<WriteResult> {
    const [result] = await this.write([{ kind: 'update', type, id, resource, ifMatch: options.ifMatch }], DEFAULT_SOURCE);
    return result!;
  }

  async delete(type: string, id: string): Promise<{ versionId: string | null }> {
    this.assertType(type);
    const [result] = await this.write([{ kind: 'delete', type, id }], DEFAULT_SOURCE);
    return { versionId: result!.outcome === 'unchanged' ? null : result!.versionId };
  }

  transaction(ops: WriteOp[]): Promise<WriteResult[]> {
    return this.write(ops, DEFAULT_SOURCE);
  }

  /** Releases what the store holds beside the database; call after closing the database. */
  close(): void {
    this.options.store.close();
  }

  async submit(items: IntakeItem[], options: { source: string; atomic?: boolean }): Promise<IntakeItemResult[]> {
    const ops = items.map((item): WriteOp => ({
      kind: 'update',
      type: item.resource.resourceType,
      id: item.resource.id ?? '',
      resource: item.resource,
    }));
    if (options.atomic) {
      const results = await this.write(ops, options.source);
      return results.map((result) => ({ ok: true, result }));
    }
    return Promise.all(
      ops.map(async (op): Promise<IntakeItemResult> => {
        try {
          const [result] = await this.write([op], options.source);
          return { ok: true, result: result! };
        } catch (error) {
          return rejection(error);
        }
      }),
    );
  }

  async read(type: string, id: string): Promise<StoredVersion> {
    this.assertType(type);
    return this.options.store.read(type, id);
  }

  async vread(type: string, id: string, versionId: string): Promise<StoredVersion> {
    this.assertType(type);
    return this.options.store.vread(type, id, versionId);
  }

  async history(type: string, id: string): Promise<StoredVersion[]> {
    this.assertType(type);
    return this.options.store.history(type, id);
  }

  async search(query: SearchQuery): Promise<SearchResult> {
    this.assertType(query.type);
    return this.options.store.search(query);
  }

  async receipt(type: string, id: string, versionId: string): Promise<ReceiptStatus> {
    this.assertType(type);
    return this.options.store.receipt(type, id, versionId);
  }

  /** Steps 1-6 for every op first (one invalid op rejects them all), then step 7 for all at once. */
  private async write(ops: WriteOp[], source: string): Promise<WriteResult[]> {
    const prepared = ops.map((op, index) => this.prepare(op, ops.length > 1 ? index : undefined));
    return this.options.store.write(prepared, source);
  }

  private prepare(op: WriteOp, entryIndex: number | undefined): PreparedWrite {
    const where = entryIndex === undefined ? '' : `Bundle.entry[${entryIndex}]: `;
    if (op.kind === 'delete') {
      this.assertType(op.type);
      return { op, type: op.type, id: op.id };
    }

    // 1. shape check
    const resource = op.resource;
    if (!resource || typeof resource !== 'object' || typeof resource.resourceType !== 'string') {
      throw new OperationOutcomeError(badRequest(`${where}the body is not a FHIR resource`));
    }
    const type = resource.resourceType;
    this.assertType(type);

    // 3. id
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

    // 4. R5 validation
    const candidate: FhirResource = { ...resource, id };
    const errors = this.options.validate(candidate).filter((issue) => issue.severity === 'error' || issue.severity === 'fatal');
    if (errors.length > 0) {
      const outcome: OperationOutcome = {
        resourceType: 'OperationOutcome',
        // The validator words most issues in details.text; the prefix must not hide it.
        issue: errors.map((issue) => (where ? { ...issue, diagnostics: `${where}${issue.diagnostics ?? issue.details?.text ?? ''}` } : issue)),
      };
      throw new OperationOutcomeError(outcome);
    }

    // 5, 6. canonicalization and digest
    return { op, type, id, content: prepareContent(candidate) };
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
