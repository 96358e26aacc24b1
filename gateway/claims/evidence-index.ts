// A claim evidence bundle as the payer's verifier reads it: the one Claim, every other resource by
// `Type/id` and by fullUrl, and each Provenance by the version it targets. Nothing here is trusted:
// it only finds things, the checks decide. Input that is not a claim's evidence at all is a
// ClaimBundleError (the CLI's "could not verify", exit 2).
import type { FhirResource } from '../store/service.js';

export class ClaimBundleError extends Error {}

export interface EvidenceIndex {
  claim: FhirResource;
  /** Every resource but Provenance and OperationOutcome, the Claim first. */
  resources: FhirResource[];
  /** Resolves a reference (relative, versioned, absolute or a fullUrl) to a resource of the bundle. */
  resolve(reference: string): FhirResource | undefined;
  /** The Provenance whose single target is `Type/id/_history/v`, else any targeting `Type/id`. */
  provenanceOf(type: string, id: string, versionId: string | undefined): FhirResource | undefined;
  /** What the bundle itself says it could not include (Bundle.issues), as text. */
  issues: string[];
}

const LOCAL = /(?:^|\/)([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/([A-Za-z0-9\-.]{1,64}))?$/;

/** `Type/id` a reference names, with its version when it has one; null when it names none. */
export function parseReference(reference: string): { type: string; id: string; versionId?: string } | null {
  const match = LOCAL.exec(reference);
  if (!match) return null;
  return { type: match[1]!, id: match[2]!, ...(match[3] ? { versionId: match[3] } : {}) };
}

export function keyOf(resource: FhirResource): string {
  return `${resource.resourceType}/${String(resource.id)}`;
}

export function indexEvidence(bundle: unknown): EvidenceIndex {
  if (typeof bundle !== 'object' || bundle === null || Array.isArray(bundle) || (bundle as { resourceType?: unknown }).resourceType !== 'Bundle') {
    throw new ClaimBundleError('the file is not a FHIR Bundle: fetch the claim evidence with GET /fhir/Claim/{id}/$evidence (or careledger claim evidence)');
  }
  const b = bundle as { entry?: unknown; issues?: { issue?: Array<{ details?: { text?: unknown }; diagnostics?: unknown }> } };
  const entries = Array.isArray(b.entry) ? (b.entry as Array<{ fullUrl?: unknown; resource?: unknown }>) : [];
  const byKey = new Map<string, FhirResource>();
  const byUrl = new Map<string, FhirResource>();
  const provenance = new Map<string, FhirResource>();
  const resources: FhirResource[] = [];
  const claims: FhirResource[] = [];
  for (const [i, entry] of entries.entries()) {
    const resource = entry?.resource as FhirResource | undefined;
    if (!resource || typeof resource !== 'object' || typeof resource.resourceType !== 'string') {
      throw new ClaimBundleError(`Bundle.entry[${i}] holds no resource`);
    }
    if (resource.resourceType === 'OperationOutcome') continue;
    if (resource.resourceType === 'Provenance') {
      const targets = Array.isArray(resource.target) ? (resource.target as Array<{ reference?: unknown }>) : [];
      for (const target of targets) {
        const ref = typeof target?.reference === 'string' ? parseReference(target.reference) : null;
        if (!ref) continue;
        const versioned = `${ref.type}/${ref.id}/_history/${ref.versionId ?? ''}`;
        if (!provenance.has(versioned)) provenance.set(versioned, resource);
        if (!provenance.has(`${ref.type}/${ref.id}`)) provenance.set(`${ref.type}/${ref.id}`, resource);
      }
      continue;
    }
    if (typeof resource.id !== 'string') throw new ClaimBundleError(`Bundle.entry[${i}] (${resource.resourceType}) has no id`);
    const key = keyOf(resource);
    if (byKey.has(key)) throw new ClaimBundleError(`the bundle holds ${key} twice: a claim's evidence has one version of each resource`);
    byKey.set(key, resource);
    if (typeof entry.fullUrl === 'string') byUrl.set(entry.fullUrl, resource);
    if (resource.resourceType === 'Claim') claims.push(resource);
    else resources.push(resource);
  }
  if (claims.length === 0) throw new ClaimBundleError('the bundle holds no Claim: verify-claim checks one claim with its evidence');
  if (claims.length > 1) throw new ClaimBundleError(`the bundle holds ${claims.length} Claims (${claims.map(keyOf).join(', ')}): verify one claim per bundle`);
  const claim = claims[0]!;
  const issues = (b.issues?.issue ?? []).map((i) => String(i?.details?.text ?? i?.diagnostics ?? 'an issue without text'));
  return {
    claim,
    resources: [claim, ...resources],
    resolve(reference) {
      const direct = byUrl.get(reference);
      if (direct) return direct;
      const ref = parseReference(reference);
      return ref ? byKey.get(`${ref.type}/${ref.id}`) : undefined;
    },
    provenanceOf(type, id, versionId) {
      return (versionId !== undefined ? provenance.get(`${type}/${id}/_history/${versionId}`) : undefined) ?? provenance.get(`${type}/${id}`);
    },
    issues,
  };
}
