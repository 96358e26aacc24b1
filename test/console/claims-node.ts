// A real node with claims a payer can verify, for the Claims view's browser test and its bench:
// synthetic R4 claims through the node's R4 intake, anchored, their line fingerprints registered
// under the node's claims key; the $evidence bundle of one claim written to a file with a copy whose
// Encounter was edited after anchoring, the same bundle in R4 (each resource as the EHR sent it,
// with the node's meta), a copy anchored in look-alike registries an attacker
// deployed on the same chain, the consortium trust file and the claims key file.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimLineFingerprints, claimTagOf } from '../../gateway/claims/claim-fingerprint.js';
import { claimsKeyPath, generateClaimsKey, writeClaimsKey } from '../../gateway/claims/claims-key.js';
import { memberIdOf } from '../../gateway/crypto/digest.js';
import { connectEvmLedger } from '../../gateway/ledger/evm/connect.js';
import type { Hex } from '../../gateway/ledger/ports.js';
import { serializeTrustFile } from '../../gateway/receipts/trust-file.js';
import { exportTrust } from '../../gateway/receipts/trust-root.js';
import type { FhirResource } from '../../gateway/store/service.js';
import { deployConsortium } from '../../network/deploy.js';
import { anchorAsEvidence, type EvidenceBundle } from '../support/anchored-evidence.js';
import { eventually } from '../support/eventually.js';
import { waitForAnchoring } from '../support/fhir-client.js';
import { claimResources, syntheticClaims } from '../support/synthetic-claims.js';
import { startTestNode, type TestNode } from '../support/test-node.js';

export interface ClaimsNode {
  node: TestNode;
  /** `Claim/<id>/_history/1`, the claim the files hold. */
  claim: string;
  files: { genuine: string; r4: string; tampered: string; forged: string; trust: string; key: string };
  evidence: EvidenceBundle;
  claimsKey: Buffer;
  dispose(): Promise<void>;
}

export async function startClaimsNode(): Promise<ClaimsNode> {
  const dir = mkdtempSync(join(tmpdir(), 'careledger-console-claims-'));
  const claimsKey = generateClaimsKey();
  const files = { genuine: join(dir, 'claim-evidence.json'), r4: join(dir, 'claim-evidence-r4.json'), tampered: join(dir, 'tampered-evidence.json'), forged: join(dir, 'look-alike-evidence.json'), trust: join(dir, 'trust.json'), key: join(dir, 'claims.key') };
  const dataDir = join(dir, 'node');
  writeClaimsKey(claimsKeyPath(dataDir, {}), claimsKey);
  writeFileSync(files.key, `${claimsKey.toString('hex')}\n`);
  const node = await startTestNode({ DATA_DIR: dataDir });
  try {
    const fhir = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> => {
      const response = await fetch(`${node.baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${node.token}`, ...(body ? { 'content-type': 'application/fhir+json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return { status: response.status, body: await response.json() };
    };
    const orgId = node.config.orgId;
    const set = syntheticClaims({ hospitalOrgId: orgId, payerOrgIds: ['console-payer'], count: 2, seed: 16, prefix: 'cv' });
    const resources = claimResources(set);
    const loaded = await fhir('POST', '/fhir/R4', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: resources.map((resource) => ({ resource, request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` } })),
    });
    if (loaded.status !== 200) throw new Error(`synthetic claims refused (${loaded.status}): ${JSON.stringify(loaded.body).slice(0, 800)}`);
    await waitForAnchoring(node.baseUrl);
    // The node registers the claim's line fingerprints after its batch is anchored.
    const claim = set.cases[0]!.claim as FhirResource;
    const resolve = (ref: string) => resources.find((r) => ref.endsWith(`${r.resourceType}/${r.id}`)) as FhirResource | undefined;
    const tag = claimTagOf(claimsKey, memberIdOf(orgId), String(claim.id));
    const lines = claimLineFingerprints(claim, resolve, claimsKey).filter((l) => l.fingerprint);
    await eventually(async () => {
      for (const line of lines) {
        if (!(await node.chain.claimFingerprints!.isRegistered(line.fingerprint!, memberIdOf(orgId), tag))) throw new Error(`line fingerprint ${line.fingerprint} not registered yet`);
      }
    }, 30_000);

    const evidence = await eventually(async () => {
      const answer = await fhir('GET', `/fhir/Claim/${claim.id}/$evidence`);
      if (answer.status !== 200) throw new Error(`$evidence answered ${answer.status}`);
      return answer.body as EvidenceBundle;
    }, 20_000);
    writeFileSync(files.genuine, JSON.stringify(evidence));
    // A payer whose system speaks R4 holds the resources as the EHR sent them (Coverage.subscriberId
    // a string, no Coverage.kind, ...): the verifier checks the R5 form the node anchored.
    const r4 = structuredClone(evidence);
    for (const entry of r4.entry) {
      const sent = resources.find((r) => r.resourceType === entry.resource.resourceType && r.id === entry.resource.id);
      if (sent) entry.resource = { ...structuredClone(sent), meta: entry.resource.meta } as typeof entry.resource;
    }
    writeFileSync(files.r4, JSON.stringify(r4));
    const tampered = structuredClone(evidence);
    const encounter = tampered.entry.find((e) => e.resource.resourceType === 'Encounter')!.resource;
    (encounter.actualPeriod as { end: string }).end = '2024-12-31T00:00:00Z';
    writeFileSync(files.tampered, JSON.stringify(tampered));

    // An attacker deploys the registries again on the same chain, with a member of the hospital's
    // org id (so the same member id) and its own key, and anchors an inflated copy of the claim.
    const attacker = node.chain.embedded!.accounts[7]!;
    const lookAlike = await deployConsortium({
      rpcUrl: node.chain.descriptor.rpcUrl,
      chainId: node.chain.descriptor.chainId,
      deployerKey: attacker.privateKey as Hex,
      members: [{ orgId, roles: ['HOSPITAL'], signer: attacker.address as Hex }],
      dataDir: join(dir, 'look-alike'),
    });
    const ledger = await connectEvmLedger({ kind: 'evm', ...lookAlike, privateKey: attacker.privateKey as Hex, pollingIntervalMs: 50 });
    try {
      const copies = evidence.entry.map((e) => structuredClone(e.resource)).filter((r) => r.resourceType !== 'Provenance');
      const forgedClaim = copies.find((r) => r.resourceType === 'Claim')!;
      (forgedClaim.total as { value: number }).value *= 10;
      writeFileSync(files.forged, JSON.stringify((await anchorAsEvidence(copies, ledger.anchors, `${node.baseUrl}/fhir`)).bundle));
    } finally {
      await ledger.close();
    }
    writeFileSync(files.trust, serializeTrustFile(await exportTrust(node.chain.descriptor, node.chain.verifier, 'console claims test')));
    return {
      node,
      claim: `Claim/${String(claim.id)}/_history/1`,
      files,
      evidence,
      claimsKey,
      async dispose() {
        await node.dispose();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await node.dispose();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
