// Anchors a set of resource versions as one batch through any AnchorPort (the consortium's, or a
// look-alike registry an attacker deployed) and returns them as a claim evidence Bundle with each
// receipt in a Provenance, the shape $evidence serves. For tests and benches that need evidence
// without a node, or evidence a node would never issue.

import { canonicalizeResource } from '../../gateway/crypto/canonical.js';
import { leafHash, newSalt, sha256, versionKey } from '../../gateway/crypto/digest.js';
import { MerkleTree } from '../../gateway/crypto/merkle.js';
import type { AnchorPort, AnchorRecord, Hex } from '../../gateway/ledger/ports.js';
import { issueReceipt } from '../../gateway/receipts/issue.js';
import { buildProvenance } from '../../gateway/receipts/provenance.js';
import type { FhirResource } from '../../gateway/store/service.js';

export type EvidenceBundle = FhirResource & { entry: Array<{ fullUrl: string; resource: FhirResource }> };

export interface AnchoredEvidence {
  bundle: EvidenceBundle;
  anchor: AnchorRecord;
}

/** `resources` must carry meta.versionId; they are anchored in the given order (the Claim's place decides journal order). */
export async function anchorAsEvidence(resources: FhirResource[], anchors: AnchorPort, baseUrl: string): Promise<AnchoredEvidence> {
  const { bundles, anchor } = await anchorAsEvidenceBundles([resources], anchors, baseUrl);
  return { bundle: bundles[0]!, anchor };
}

/** Several claims' evidence in one batch (one anchor): one Bundle per group, in order. */
export async function anchorAsEvidenceBundles(groups: FhirResource[][], anchors: AnchorPort, baseUrl: string): Promise<{ bundles: EvidenceBundle[]; anchor: AnchorRecord }> {
  const versions = groups.flatMap((resources, group) => resources.map((resource) => ({ resource, group }))).map(({ resource, group }, leafIndex) => {
    const versionId = String(resource.meta?.versionId ?? '1');
    return { resource, group, type: resource.resourceType, id: String(resource.id), versionId, digest: sha256(canonicalizeResource(resource)), salt: newSalt(), leafIndex };
  });
  const tree = MerkleTree.build(versions.map((v) => leafHash(v.salt, versionKey(v.type, v.id, v.versionId), v.digest)));
  const latest = await anchors.latestSequence(anchors.memberId);
  const previous = latest === 0n ? null : await anchors.getAnchor(anchors.memberId, latest);
  const anchor = await anchors.submitAnchor({
    sequence: latest + 1n,
    root: `0x${tree.root.toString('hex')}` as Hex,
    leafCount: versions.length,
    prevRoot: previous?.root ?? (`0x${'0'.repeat(64)}` as Hex),
  });
  const bundles = groups.map((_, group): EvidenceBundle => {
    const own = versions.filter((v) => v.group === group);
    const entries = own.map((v) => ({ fullUrl: `${baseUrl}/${v.type}/${v.id}`, resource: v.resource }));
    const provenance = own.map((v) => ({
      fullUrl: `${baseUrl}/Provenance/anchored-${anchor.sequence}-${v.leafIndex}`,
      resource: buildProvenance(issueReceipt(v, tree, anchor), { id: `anchored-${anchor.sequence}-${v.leafIndex}` }),
    }));
    return { resourceType: 'Bundle', type: 'collection', entry: [...entries, ...provenance] };
  });
  return { bundles, anchor };
}
