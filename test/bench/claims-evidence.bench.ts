// Claim evidence figures for `npm run bench`: one in-process hospital node on an embedded anvil
// chain with a PAYER member, holding synthetic claims (each citing 10 resources: patient,
// hospital and payer Organizations, Practitioner and PractitionerRole, Encounter, Coverage,
// Condition, Procedure, Observation) loaded through the R4 intake and anchored.
//   evidenceP50Ms / evidenceP95Ms  GET /fhir/Claim/{id}/$evidence as the payer (member JWT
//                                  minted beforehand): authentication, insurer check, assembly
//                                  with every receipt as Provenance, the durable AuditEvent.
//   baselineP50Ms / baselineP95Ms  the same evidence fetched the way a client could without the
//                                  operation: each resource read and its $receipt asked for, one
//                                  request after the other, with a staff token.

import { Wallet } from 'ethers';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signMemberJwt } from '../../gateway/consent/member-jwt.js';
import type { Hex } from '../../gateway/ledger/ports.js';
import { type ClaimsNode, startClaimsNode } from '../support/claims-node.js';
import { waitForAnchoring } from '../support/fhir-client.js';
import { claimResources, syntheticClaims } from '../support/synthetic-claims.js';

export interface ClaimsEvidenceBenchResult {
  claims: number;
  fetches: number;
  resourcesPerClaim: number;
  evidenceP50Ms: number;
  evidenceP95Ms: number;
  baselineP50Ms: number;
  baselineP95Ms: number;
}

const HOSPITAL = 'bench-claims-hospital';
const PAYER = 'bench-claims-payer';

export async function benchClaimsEvidence(options: { claims?: number; fetches?: number } = {}): Promise<ClaimsEvidenceBenchResult> {
  const claimCount = options.claims ?? 50;
  const fetches = options.fetches ?? 300;
  const dir = mkdtempSync(join(tmpdir(), 'careledger-bench-claims-'));
  const payerKey = Wallet.createRandom().privateKey;
  let running: ClaimsNode | undefined;
  try {
    running = await startClaimsNode({
      dir,
      hospitalOrgId: HOSPITAL,
      members: [{ orgId: PAYER, roles: ['PAYER'], signer: new Wallet(payerKey).address as Hex }],
      batchMaxAgeMs: 200,
    });
    const { node } = running;
    const { token: staff } = JSON.parse(readFileSync(node.devFile!, 'utf8')) as { token: string };
    const set = syntheticClaims({ hospitalOrgId: HOSPITAL, payerOrgIds: [PAYER], count: claimCount, seed: 5, prefix: 'bench' });
    const loaded = await fetch(`${node.fhirBase}/R4`, {
      method: 'POST',
      headers: { authorization: `Bearer ${staff}`, 'content-type': 'application/fhir+json' },
      body: JSON.stringify({
        resourceType: 'Bundle',
        type: 'transaction',
        entry: claimResources(set).map((resource) => ({ resource, request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` } })),
      }),
    });
    if (loaded.status !== 200) throw new Error(`loading the bench claims answered ${loaded.status}: ${(await loaded.text()).slice(0, 500)}`);
    await waitForAnchoring(node.config.publicUrl);

    const claimIds = set.cases.map((c) => c.claim.id);
    const now = Math.floor(Date.now() / 1000);
    // Minted beforehand: the payer's signing time is not the node's.
    const jwts = Array.from({ length: fetches + 10 }, () =>
      signMemberJwt(payerKey, { iss: PAYER, sub: 'bench-adjuster', aud: node.config.publicUrl, iat: now, exp: now + 300, jti: randomUUID(), purpose: 'HPAYMT' }),
    );
    let resourcesPerClaim = 0;
    const evidenceTimes: number[] = [];
    for (let i = 0; i < fetches + 10; i++) {
      const started = performance.now();
      const response = await fetch(`${node.fhirBase}/Claim/${claimIds[i % claimIds.length]}/$evidence`, { headers: { authorization: `Bearer ${jwts[i]}` } });
      const bundle = (await response.json()) as { entry: Array<{ resource: { resourceType: string } }> };
      if (response.status !== 200) throw new Error(`$evidence answered ${response.status}: ${JSON.stringify(bundle).slice(0, 500)}`);
      // The first ten warm the JIT and the receipt tree cache; the baseline gets the same.
      if (i >= 10) evidenceTimes.push(performance.now() - started);
      resourcesPerClaim = bundle.entry.filter((e) => e.resource.resourceType !== 'Provenance').length;
    }

    const baselineTimes: number[] = [];
    for (let i = 0; i < fetches + 10; i++) {
      const c = set.cases[i % set.cases.length]!;
      const cited = [c.claim, c.patient, c.coverage, c.encounter, c.condition, c.procedure, c.observation, c.practitioner, ...set.organizations, set.practitioners.find((p) => p.id === `${c.practitioner.id}-role`)!];
      const started = performance.now();
      for (const resource of cited) {
        const read = await fetch(`${node.fhirBase}/${resource.resourceType}/${resource.id}`, { headers: { authorization: `Bearer ${staff}` } });
        const body = (await read.json()) as { meta: { versionId: string } };
        const receipt = await fetch(`${node.fhirBase}/${resource.resourceType}/${resource.id}/_history/${body.meta.versionId}/$receipt`, {
          headers: { authorization: `Bearer ${staff}` },
        });
        await receipt.arrayBuffer();
        if (read.status !== 200 || receipt.status !== 200) throw new Error(`baseline read of ${resource.resourceType}/${resource.id} answered ${read.status}/${receipt.status}`);
      }
      if (i >= 10) baselineTimes.push(performance.now() - started);
    }

    return {
      claims: claimCount,
      fetches,
      resourcesPerClaim,
      evidenceP50Ms: round(percentile(evidenceTimes, 50)),
      evidenceP95Ms: round(percentile(evidenceTimes, 95)),
      baselineP50Ms: round(percentile(baselineTimes, 50)),
      baselineP95Ms: round(percentile(baselineTimes, 95)),
    };
  } finally {
    await running?.node.close();
    await running?.chain.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
