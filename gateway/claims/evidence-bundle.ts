// The evidence of one claim: the Claim, every resource it cites followed transitively along the
// references a payer adjudicates with (evidence-references.ts), up to EVIDENCE_MAX_DEPTH hops,
// and each one's anchor receipt as the Provenance the node serves for it (`Provenance?target=`).
// Pure given a resource source: it reads, it never writes. Entries carry absolute fullUrls on the
// node's FHIR base, so the resources' relative references resolve inside the Bundle (FHIR's
// Bundle reference rules). What cannot be included (a reference to a resource this node does not
// hold, an erased one, one outside this node) is listed in Bundle.issues, never dropped silently:
// the verifier reports it as an unresolved reference.

import { randomUUID } from 'node:crypto';
import { OperationOutcomeError, badRequest, notFound } from '@medplum/core';
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { receiptJsonFromProvenance } from '../receipts/provenance.js';
import type { FhirResource, ResourceService } from '../store/service.js';
import { citedReferences } from './evidence-references.js';

/** What the assembly reads: the node's own resource service (or any with the same answers). */
export type EvidenceSource = Pick<ResourceService, 'read' | 'vread' | 'search' | 'receipt'>;

/** Hops from the Claim: Claim -> Encounter -> PractitionerRole -> Practitioner is three. */
export const EVIDENCE_MAX_DEPTH = 3;
/** More than this many resources is not a claim's evidence but a walk through the record. */
export const EVIDENCE_MAX_RESOURCES = 200;

export const EVIDENCE_IDENTIFIER_SYSTEM = 'urn:careledger:claim-evidence';

export interface EvidenceOptions {
  /** The node's R5 FHIR base (absolute), on which fullUrls are built. */
  baseUrl: string;
  now?: () => Date;
}

export type EvidenceResult =
  | {
      status: 'complete';
      bundle: FhirResource;
      /** `Type/id/_history/v` of every resource in the Bundle, the Claim first. */
      versions: string[];
    }
  | {
      status: 'pending';
      /** `Type/id/_history/v` of the versions whose batch is not anchored yet. */
      waitingFor: string[];
      retryAfterSeconds: number;
    };

interface Included {
  resource: FhirResource;
  versionId: string;
  reference: string;
}

const RESOURCE_REFERENCE = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/([A-Za-z0-9\-.]{1,64}))?$/;

/** The current version of Claim/id; 404 when there is none, 410 when it was deleted. */
export async function readClaim(source: EvidenceSource, id: string): Promise<FhirResource> {
  return (await source.read('Claim', id)).resource;
}

export async function assembleEvidence(source: EvidenceSource, claim: FhirResource, options: EvidenceOptions): Promise<EvidenceResult> {
  if (claim.resourceType !== 'Claim' || typeof claim.id !== 'string') {
    throw new OperationOutcomeError(badRequest('Claim evidence starts from a stored Claim'));
  }
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const included = new Map<string, Included>();
  const issues: OperationOutcomeIssue[] = [];
  const claimKey = `Claim/${claim.id}`;
  included.set(claimKey, { resource: claim, versionId: versionOf(claim), reference: claimKey });

  let level: Included[] = [included.get(claimKey)!];
  for (let depth = 1; depth <= EVIDENCE_MAX_DEPTH && level.length > 0; depth++) {
    const next: Included[] = [];
    for (const holder of level) {
      for (const cited of citedReferences(holder.resource)) {
        const parsed = localReference(cited.reference, baseUrl);
        if (!parsed) {
          issues.push(issue('warning', 'not-supported', `${cited.path} cites ${cited.reference.slice(0, 200)}, which is not a resource of this node; it is not in the evidence`, cited.path));
          continue;
        }
        const key = `${parsed.type}/${parsed.id}`;
        if (included.has(key)) continue;
        if (included.size >= EVIDENCE_MAX_RESOURCES) {
          issues.push(issue('error', 'too-costly', `The evidence stops at ${EVIDENCE_MAX_RESOURCES} resources; ${cited.path} (${key}) and what it cites are left out`, cited.path));
          continue;
        }
        const found = await readCited(source, parsed);
        if ('problem' in found) {
          issues.push(issue('error', found.code, `${cited.path} cites ${key}: ${found.problem}`, cited.path));
          continue;
        }
        const entry = { resource: found.resource, versionId: found.versionId, reference: key };
        included.set(key, entry);
        next.push(entry);
      }
    }
    level = next;
  }

  const entries = [...included.values()];
  const provenance = await anchorProvenance(source, entries);
  const waitingFor = entries.filter((e) => !provenance.has(versionKey(e))).map(versionKey);
  if (waitingFor.length > 0) {
    const [type, id, , versionId] = waitingFor[0]!.split('/') as [string, string, string, string];
    const status = await source.receipt(type, id, versionId);
    return { status: 'pending', waitingFor, retryAfterSeconds: status.status === 'pending' ? status.retryAfterSeconds : 1 };
  }

  const bundle: FhirResource = {
    resourceType: 'Bundle',
    identifier: { system: EVIDENCE_IDENTIFIER_SYSTEM, value: randomUUID() },
    type: 'collection',
    timestamp: (options.now ?? (() => new Date()))().toISOString(),
    link: [{ relation: 'self', url: `${baseUrl}/Claim/${claim.id}/$evidence` }],
    entry: [
      ...entries.map((e) => ({ fullUrl: `${baseUrl}/${e.reference}`, resource: e.resource })),
      ...entries.map((e) => {
        const p = provenance.get(versionKey(e))!;
        return { fullUrl: `${baseUrl}/Provenance/${p.id}`, resource: p };
      }),
    ],
    ...(issues.length > 0 ? { issues: { resourceType: 'OperationOutcome', issue: issues } } : {}),
  };
  return { status: 'complete', bundle, versions: entries.map(versionKey) };
}

/** `Type/id[/_history/v]`, relative or absolute on this node's base; null for anything else. */
function localReference(reference: string, baseUrl: string): { type: string; id: string; versionId?: string } | null {
  const relative = reference.startsWith(`${baseUrl}/`) ? reference.slice(baseUrl.length + 1) : reference;
  const match = RESOURCE_REFERENCE.exec(relative);
  if (!match) return null;
  return { type: match[1]!, id: match[2]!, ...(match[3] ? { versionId: match[3] } : {}) };
}

type Cited = { resource: FhirResource; versionId: string } | { problem: string; code: OperationOutcomeIssue['code'] };

/** The cited version (a versioned reference) or the current one; what is wrong otherwise. */
async function readCited(source: EvidenceSource, ref: { type: string; id: string; versionId?: string }): Promise<Cited> {
  try {
    const stored = ref.versionId ? await source.vread(ref.type, ref.id, ref.versionId) : await source.read(ref.type, ref.id);
    if (stored.deleted) return { problem: 'the cited version is a deletion', code: 'deleted' };
    return { resource: stored.resource, versionId: stored.versionId };
  } catch (error) {
    if (!(error instanceof OperationOutcomeError)) throw error;
    const status = error.outcome.id;
    if (status === 'gone' || error.outcome.issue?.[0]?.code === 'deleted') return { problem: 'deleted or erased at this node', code: 'deleted' };
    if (status === notFound.id || error.outcome.issue?.[0]?.code === 'not-found') return { problem: 'this node holds no such resource', code: 'not-found' };
    throw error;
  }
}

/**
 * The node's anchor Provenance for exactly the included versions, keyed by `Type/id/_history/v`,
 * read in one `Provenance?target=` search (the node answers it with one Provenance per anchored
 * version, built from the receipt). A Provenance without a receipt is not an anchor's.
 */
async function anchorProvenance(source: EvidenceSource, entries: Included[]): Promise<Map<string, FhirResource>> {
  const wanted = new Set(entries.map(versionKey));
  const out = new Map<string, FhirResource>();
  const result = await source.search({
    type: 'Provenance',
    params: [{ code: 'target', value: entries.map((e) => e.reference).join(',') }],
    count: 10_000,
    offset: 0,
    summaryCount: false,
  });
  for (const provenance of result.resources) {
    const target = (provenance.target as Array<{ reference?: string }> | undefined)?.[0]?.reference;
    if (!target || !wanted.has(target) || out.has(target) || receiptJsonFromProvenance(provenance) === null) continue;
    out.set(target, provenance);
  }
  return out;
}

function versionKey(entry: Included): string {
  return `${entry.reference}/_history/${entry.versionId}`;
}

function versionOf(resource: FhirResource): string {
  const versionId = resource.meta?.versionId;
  if (typeof versionId !== 'string') throw new OperationOutcomeError(badRequest(`${resource.resourceType}/${resource.id} has no meta.versionId`));
  return versionId;
}

function issue(severity: 'error' | 'warning', code: OperationOutcomeIssue['code'], text: string, path: string): OperationOutcomeIssue {
  return { severity, code, details: { text }, expression: [path] };
}
