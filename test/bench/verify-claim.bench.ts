// verify-claim throughput for `npm run bench`, as a payer runs it: synthetic claims citing 10
// resources each (Claim, Patient, provider and insurer Organizations, Practitioner, Coverage,
// Encounter, Condition, Procedure, Observation, in the R5 form a node anchors), anchored in one
// batch by a HOSPITAL member of a real anvil chain, their lines registered in ClaimRegistry.
//   claimsPerSecond     verifyClaimBundle over every claim, one at a time on this one thread, with a
//                       warm chain cache (anchors, member history, today's membership and the
//                       fingerprint registrations read once): no chain read in the timed loop.
//   claimsPerCpuSecond  the same per second of this process's CPU time: the one-core figure, which
//                       a busy shared machine does not distort the way it does the wall clock.
//   baselineClaimsPerSecond  the same claims checked the way `careledger verify` checks a resource,
//                       once per cited resource, each with a fresh pinned verifier (cold: the
//                       anchor, the anchor's position, the member's history and today's status read
//                       from the chain every time), on a sample of the claims. Run in this process:
//                       the CLI process per resource would add its start-up (seconds) to each.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertR4toR5 } from '../../fhir-adapters/conversion/index.js';
import { cachedAnchorLookup, cachedRegistrations, cachedVerifierReader } from '../../gateway/claims/chain-cache.js';
import { claimLineFingerprints, claimTagOf } from '../../gateway/claims/claim-fingerprint.js';
import { generateClaimsKey } from '../../gateway/claims/claims-key.js';
import { verifyClaimBundle, type ClaimVerifier } from '../../gateway/claims/verify-claim.js';
import { connectEvmLedger } from '../../gateway/ledger/evm/connect.js';
import { openLedgerClient } from '../../gateway/ledger/factory.js';
import type { ClaimLineRegistration, Hex } from '../../gateway/ledger/ports.js';
import { receiptJsonFromProvenance } from '../../gateway/receipts/provenance.js';
import { trustFingerprint } from '../../gateway/receipts/trust-file.js';
import { exportTrust, pinnedVerifier } from '../../gateway/receipts/trust-root.js';
import type { FhirResource } from '../../gateway/store/service.js';
import { deployConsortium } from '../../network/deploy.js';
import { startEmbeddedChain } from '../../network/embedded-chain.js';
import { anchorAsEvidenceBundles, type EvidenceBundle } from '../support/anchored-evidence.js';
import { syntheticClaims } from '../support/synthetic-claims.js';

export interface VerifyClaimBenchResult {
  claims: number;
  resourcesPerClaim: number;
  /** Wall clock: on a machine others share, this includes time the process waited for a core. */
  claimsPerSecond: number;
  /** Per second of this process's CPU time (user + system): the one-core figure the target is about. */
  claimsPerCpuSecond: number;
  /** Claims verified per second by `careledger verify` once per cited resource, cold. */
  baselineClaimsPerSecond: number;
  baselineSample: number;
  verdict: string;
}

const HOSPITAL = 'bench-claims-hospital';
const PAYER = 'bench-claims-payer';

export async function benchVerifyClaim(options: { claims?: number; rounds?: number; baselineSample?: number } = {}): Promise<VerifyClaimBenchResult> {
  const count = options.claims ?? 200;
  const rounds = options.rounds ?? 5;
  const sample = options.baselineSample ?? 10;
  const dir = mkdtempSync(join(tmpdir(), 'careledger-bench-verify-claim-'));
  const chain = await startEmbeddedChain({ dataDir: join(dir, 'chain') });
  try {
    const hospital = chain.accounts[1]!;
    const deployed = await deployConsortium({
      rpcUrl: chain.rpcUrl,
      chainId: chain.chainId,
      deployerKey: chain.accounts[0]!.privateKey,
      members: [
        { orgId: HOSPITAL, roles: ['HOSPITAL'], signer: hospital.address as Hex },
        { orgId: PAYER, roles: ['PAYER'], signer: chain.accounts[2]!.address as Hex },
      ],
      dataDir: join(dir, 'chain'),
    });
    const claimsKey = generateClaimsKey();
    const set = syntheticClaims({ hospitalOrgId: HOSPITAL, payerOrgIds: [PAYER], count, seed: 3, prefix: 'bench' });
    const r5 = (resource: unknown): FhirResource => ({ ...(convertR4toR5(resource).resource as FhirResource), meta: { versionId: '1' } });
    const organizations = set.organizations.map(r5);
    const groups = set.cases.map((c) => [c.patient, c.practitioner, c.coverage, c.encounter, c.condition, c.procedure, c.observation, c.claim].map(r5));
    const evidence = groups.map((group) => [...organizations, ...group]);

    const ledger = await connectEvmLedger({ kind: 'evm', rpcUrl: chain.rpcUrl, chainId: chain.chainId, contracts: deployed.contracts, privateKey: hospital.privateKey as Hex, pollingIntervalMs: 50 });
    let bundles: EvidenceBundle[];
    try {
      const anchored = await anchorAsEvidenceBundles(evidence, ledger.anchors, 'https://bench.example/fhir');
      bundles = anchored.bundles;
      const lines: ClaimLineRegistration[] = evidence.flatMap((resources) => {
        const claim = resources.find((r) => r.resourceType === 'Claim')!;
        const resolve = (ref: string) => resources.find((r) => ref.endsWith(`${r.resourceType}/${r.id}`));
        const claimTag = claimTagOf(claimsKey, ledger.anchors.memberId, String(claim.id));
        return claimLineFingerprints(claim, resolve, claimsKey).flatMap((l) => (l.fingerprint ? [{ claimTag, fingerprint: l.fingerprint }] : []));
      });
      for (let i = 0; i < lines.length; i += ledger.claimFingerprints!.maxLinesPerCall) {
        await ledger.claimFingerprints!.register(anchored.anchor.sequence, lines.slice(i, i + ledger.claimFingerprints!.maxLinesPerCall));
      }
    } finally {
      await ledger.close();
    }

    const payer = await openLedgerClient({ kind: 'evm', rpcUrl: chain.rpcUrl, chainId: chain.chainId, contracts: deployed.contracts });
    try {
      const trust = await exportTrust({ kind: 'evm', chainId: chain.chainId, contracts: deployed.contracts }, payer.verifier);
      const anchors = payer.anchorsAt(trust.contracts.AnchorRegistry);
      const lookup = (member: Hex, sequence: bigint) => anchors.getAnchor(member, sequence);
      const verifier: ClaimVerifier = {
        trust,
        trustSource: 'bench',
        trustFingerprint: trustFingerprint(trust),
        verify: pinnedVerifier(trust, cachedAnchorLookup(lookup), cachedVerifierReader(payer.verifier)),
        fingerprints: cachedRegistrations(payer.fingerprintsAt(trust.contracts.ClaimRegistry!)),
        claimsKey,
      };
      // Warm-up: every chain read once, the JIT on the hot paths.
      let verdict = '';
      for (const bundle of bundles) verdict = (await verifyClaimBundle(bundle, verifier)).verdict;
      if (verdict !== 'VERIFIED') throw new Error(`bench claims verify as ${verdict}, not VERIFIED`);

      const cpu = process.cpuUsage();
      const started = performance.now();
      for (let round = 0; round < rounds; round++) for (const bundle of bundles) await verifyClaimBundle(bundle, verifier);
      const claimsPerSecond = Math.round((rounds * bundles.length * 1000) / (performance.now() - started));
      const used = process.cpuUsage(cpu);
      const claimsPerCpuSecond = Math.round((rounds * bundles.length * 1e6) / (used.user + used.system));

      const baselineStarted = performance.now();
      for (const bundle of bundles.slice(0, sample)) {
        const resources = bundle.entry.map((e) => e.resource).filter((r) => r.resourceType !== 'Provenance');
        const provenance = bundle.entry.map((e) => e.resource).filter((r) => r.resourceType === 'Provenance');
        for (const [i, resource] of resources.entries()) {
          const result = await pinnedVerifier(trust, lookup, payer.verifier)(resource, receiptJsonFromProvenance(provenance[i]!));
          if (!result.valid) throw new Error(`baseline: ${resource.resourceType}/${resource.id} does not verify: ${result.reason}`);
        }
      }
      const baselineClaimsPerSecond = Math.round((Math.min(sample, bundles.length) * 1000 * 10) / (performance.now() - baselineStarted)) / 10;
      return { claims: bundles.length, resourcesPerClaim: evidence[0]!.length, claimsPerSecond, claimsPerCpuSecond, baselineClaimsPerSecond, baselineSample: Math.min(sample, bundles.length), verdict };
    } finally {
      await payer.close();
    }
  } finally {
    await chain.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
