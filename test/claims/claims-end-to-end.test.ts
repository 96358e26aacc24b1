// A payer's whole path on a local consortium: one anvil chain, two hospital node processes and
// two PAYER members. Hospital 1 imports synthetic Synthea-shaped claims (patients, encounters,
// practitioners, coverage, claims and EOBs) through its R4 intake; payer 1 obtains the trust
// file, fetches evidence with `careledger claim evidence --node` and runs `careledger
// verify-claim`, which says VERIFIED. Then each fraud pattern is planted and caught by the check
// that names it; and a payer asking for another payer's claim, or for a claim that does not
// exist, is refused with nothing changed but the hospital's audit.

import { Wallet } from 'ethers';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signMemberJwt } from '../../gateway/consent/member-jwt.js';
import { memberIdOf } from '../../gateway/crypto/digest.js';
import { loadNodeKeys } from '../../gateway/keys/node-keys.js';
import type { Hex } from '../../gateway/ledger/ports.js';
import { deployConsortium } from '../../network/deploy.js';
import { type EmbeddedChain, startEmbeddedChain } from '../../network/embedded-chain.js';
import { runCli, type CliRun } from '../support/cli.js';
import { waitForAnchoring } from '../support/fhir-client.js';
import { startNodeProcess, type NodeProcess } from '../support/node-process.js';
import { type SyntheticClaims, caseResources, syntheticClaims } from '../support/synthetic-claims.js';
import type { SyntheticResource } from '../support/synthetic-fhir.js';

const SEED = 21;
const H1 = 'hospital-1';
const H2 = 'hospital-2';
const PAYER = 'payer-1';
const OTHER_PAYER = 'payer-2';

/** Which case each pattern is planted in (one claim each, so they do not mask one another). */
const CASE = { clean: 0, lateEncounter: 1, outsideDates: 2, lapsedLicence: 3, otherCoverage: 4, duplicate: 5, otherPatient: 6 } as const;

const output: string[] = [];

describe('claims end to end: evidence, verify-claim and the fraud patterns', () => {
  const dir = mkdtempSync(join(tmpdir(), 'careledger-claims-e2e-'));
  const work = join(dir, 'payer-work');
  const dirs = { h1: join(dir, H1), h2: join(dir, H2), payer: join(dir, PAYER) };
  const otherPayerKey = Wallet.createRandom().privateKey;
  let chain: EmbeddedChain;
  let h1: NodeProcess;
  let h2: NodeProcess;
  let trustFile: string;
  const claimsKeyFile = join(work, 'claims.key');
  let set1: SyntheticClaims;
  let set2: SyntheticClaims;

  beforeAll(async () => {
    for (const d of [work, ...Object.values(dirs)]) mkdirSync(d, { recursive: true });
    chain = await startEmbeddedChain({ dataDir: join(dir, 'chain') });
    const signer = (d: string) => loadNodeKeys({ dataDir: d, allowGenerate: true }).memberWallet.address as Hex;
    const deployed = await deployConsortium({
      rpcUrl: chain.rpcUrl,
      chainId: chain.chainId,
      deployerKey: chain.accounts[0]!.privateKey,
      members: [
        { orgId: H1, roles: ['HOSPITAL'], signer: signer(dirs.h1) },
        { orgId: H2, roles: ['HOSPITAL'], signer: signer(dirs.h2) },
        { orgId: PAYER, roles: ['PAYER'], signer: signer(dirs.payer) },
        { orgId: OTHER_PAYER, roles: ['PAYER'], signer: new Wallet(otherPayerKey).address as Hex },
      ],
      dataDir: join(dir, 'chain'),
    });
    // The consortium's claims key, shared out of band by members and payers (never on chain).
    const claimsKey = `${randomBytes(32).toString('hex')}\n`;
    writeFileSync(claimsKeyFile, claimsKey, { mode: 0o600 });
    for (const d of [dirs.h1, dirs.h2]) writeFileSync(join(d, 'keys', 'claims.key'), claimsKey, { mode: 0o600 });

    const env = (orgId: string) => ({
      CARELEDGER_MODE: 'dev',
      CARELEDGER_ORG_ID: orgId,
      BATCH_MAX_AGE_MS: '300',
      CHAIN_RPC_URL: chain.rpcUrl,
      CHAIN_ID: String(chain.chainId),
      CHAIN_CONTRACTS: JSON.stringify(deployed.contracts),
    });
    [h1, h2] = await Promise.all([startNodeProcess({ dataDir: dirs.h1, env: env(H1) }), startNodeProcess({ dataDir: dirs.h2, env: env(H2) })]);

    const exported = await runCli(['trust', 'export', '--out', join(work, 'consortium.trust.json')], { DATA_DIR: dirs.h1 });
    expect(exported.code, exported.stderr).toBe(0);
    trustFile = join(work, 'consortium.trust.json');

    set1 = syntheticClaims({ hospitalOrgId: H1, payerOrgIds: [PAYER], count: 7, seed: SEED, prefix: 'h1' });
    // Hospital 2's set has the same seed: its case n bills the very service of hospital 1's case n.
    set2 = syntheticClaims({ hospitalOrgId: H2, payerOrgIds: [PAYER], count: CASE.duplicate + 1, seed: SEED, prefix: 'h2' });
    plant(set1);

    const c = set1.cases;
    const lateEncounter = c[CASE.lateEncounter]!.encounter;
    await load(h1, [...set1.organizations, ...set1.practitioners, LAPSED_PRACTITIONER, ...c.flatMap(caseResources).filter((r) => r !== lateEncounter)]);
    await waitForAnchoring(h1.baseUrl);
    // Documented after it was billed: the Encounter reaches the journal after its Claim was anchored.
    await load(h1, [lateEncounter]);
    await load(h2, [...set2.organizations, ...set2.practitioners, ...caseResources(set2.cases[CASE.duplicate]!)]);
    await Promise.all([waitForAnchoring(h1.baseUrl), waitForAnchoring(h2.baseUrl)]);
  }, 180_000);

  afterAll(async (context) => {
    if (context.tasks?.some?.((t: { result?: { state?: string } }) => t.result?.state === 'fail')) {
      console.log([...output, h1?.output() ?? '', h2?.output() ?? ''].join('\n').slice(-20_000));
    }
    await Promise.all([h1?.kill('SIGTERM'), h2?.kill('SIGTERM')]);
    await chain?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function load(node: NodeProcess, resources: SyntheticResource[]): Promise<void> {
    const response = await fetch(`${node.baseUrl}/fhir/R4`, {
      method: 'POST',
      headers: { authorization: `Bearer ${node.dev.token}`, 'content-type': 'application/fhir+json' },
      body: JSON.stringify({
        resourceType: 'Bundle',
        type: 'transaction',
        entry: resources.map((resource) => ({ resource, request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` } })),
      }),
    });
    expect(response.status, (await response.clone().text()).slice(0, 2000)).toBe(200);
  }

  /** $evidence as the payer, over HTTP with a member JWT signed by the payer's key (what the CLI does). */
  async function evidenceAs(node: NodeProcess, claimId: string, key: string, orgId: string): Promise<Response> {
    const now = Math.floor(Date.now() / 1000);
    const jwt = signMemberJwt(key, { iss: orgId, sub: 'adjuster-1', aud: node.baseUrl, iat: now, exp: now + 60, jti: randomUUID(), purpose: 'HPAYMT' });
    return fetch(`${node.baseUrl}/fhir/Claim/${claimId}/$evidence`, { headers: { authorization: `Bearer ${jwt}` } });
  }

  async function evidenceFile(node: NodeProcess, claimId: string, name: string, tamper?: (bundle: any) => void): Promise<string> {
    const response = await evidenceAs(node, claimId, payerKey(), PAYER);
    const bundle = (await response.json()) as any;
    expect(response.status, JSON.stringify(bundle).slice(0, 1000)).toBe(200);
    tamper?.(bundle);
    const file = join(work, `${name}.evidence.json`);
    writeFileSync(file, JSON.stringify(bundle));
    return file;
  }

  /** The payer's CLI: claim evidence from the node into a file. */
  async function cliEvidence(node: NodeProcess, claimId: string): Promise<{ run: CliRun; file: string }> {
    const file = join(work, `${claimId}.cli.evidence.json`);
    const run = await runCli(['claim', 'evidence', claimId, '--node', node.baseUrl, '--out', file], { DATA_DIR: dirs.payer, CARELEDGER_ORG_ID: PAYER });
    output.push(`claim evidence ${claimId}: ${run.code} ${run.stdout} ${run.stderr}`);
    return { run, file };
  }

  /** verify-claim as a payer runs it: the bundle, the trust file, the claims key, the chain. */
  async function verifyClaim(file: string): Promise<{ run: CliRun; report: any }> {
    const run = await runCli(['verify-claim', file, '--trust', trustFile, '--claims-key', claimsKeyFile, '--rpc', chain.rpcUrl, '--json'], {
      DATA_DIR: join(work, 'no-node'),
      CHAIN_RPC_URL: '',
      CHAIN_CONTRACTS: '',
    });
    output.push(`verify-claim ${file}: ${run.code}\n${run.stdout}\n${run.stderr}`);
    let report: any = null;
    try {
      report = JSON.parse(run.stdout);
    } catch {
      // not JSON: the assertion on the exit code shows stderr
    }
    return { run, report };
  }

  /**
   * verify-claim on the clean claim, again while its lines wait for the hospital to register their
   * fingerprints (registration follows anchoring, off the intake path): then `duplicates` skips.
   */
  async function verifyRegistered(file: string): Promise<{ run: CliRun; report: any }> {
    for (let attempt = 0; ; attempt++) {
      const result = await verifyClaim(file);
      const waiting = JSON.stringify(check(result.report, 'duplicates') ?? {}).includes('not registered in the ClaimRegistry yet');
      if (!waiting || attempt === 5) return result;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  const check = (report: any, name: string) => report?.checks.find((c: any) => c.name === name);
  const claimOf = (n: number) => set1.cases[n]!.claim.id;
  const payerKey = () => loadNodeKeys({ dataDir: dirs.payer, allowGenerate: false }).memberWallet.privateKey;

  /** Every payer-side run, prepared once and run a few at a time: each CLI is a process of its own. */
  const runs: Record<string, Promise<{ run: CliRun; report: any }>> = {};
  let cliFetch: { run: CliRun; file: string };
  let cliMissing: { run: CliRun; file: string };

  it('prepares the bundles (planted frauds included) and runs the payer CLI on each', async () => {
    cliFetch = await cliEvidence(h1, claimOf(CASE.clean));
    expect(cliFetch.run.code, cliFetch.run.stderr).toBe(0);
    const swapped = await evidenceFile(h1, claimOf(CASE.otherPatient), 'other-patient');
    const otherBundle = JSON.parse(readFileSync(swapped, 'utf8'));
    const files: Record<string, string> = {
      clean: cliFetch.file,
      edited: await evidenceFile(h1, claimOf(CASE.clean), 'edited', (bundle) => {
        const observation = bundle.entry.find((e: any) => e.resource.resourceType === 'Observation').resource;
        observation.valueQuantity.value = observation.valueQuantity.value + 40;
      }),
      lateEncounter: await evidenceFile(h1, claimOf(CASE.lateEncounter), 'late-encounter'),
      outsideDates: await evidenceFile(h1, claimOf(CASE.outsideDates), 'outside-dates'),
      lapsedLicence: await evidenceFile(h1, claimOf(CASE.lapsedLicence), 'lapsed-licence'),
      otherCoverage: await evidenceFile(h1, claimOf(CASE.otherCoverage), 'other-coverage'),
      duplicate: await evidenceFile(h2, set2.cases[CASE.duplicate]!.claim.id, 'duplicate-at-h2'),
      // The other patient's Condition, with its own valid receipt, in place of this claim's.
      swapped: await evidenceFile(h1, claimOf(CASE.clean), 'swapped', (bundle) => {
        const at = (b: any, test: (r: any) => boolean) => b.entry.findIndex((e: any) => test(e.resource));
        const isCondition = (r: any) => r.resourceType === 'Condition';
        const isItsProvenance = (r: any) => r.resourceType === 'Provenance' && r.target[0].reference.startsWith('Condition/');
        const mine = at(bundle, isCondition);
        bundle.entry[mine] = { ...otherBundle.entry[at(otherBundle, isCondition)], fullUrl: bundle.entry[mine].fullUrl };
        bundle.entry[at(bundle, isItsProvenance)] = otherBundle.entry[at(otherBundle, isItsProvenance)];
      }),
      notBundle: file('not-a-bundle.json', { resourceType: 'Patient', id: 'x' }),
      noClaim: file('no-claim.json', { resourceType: 'Bundle', type: 'collection', entry: [] }),
    };
    const names = Object.keys(files);
    let next = 0;
    const settled: Array<Promise<void>> = [];
    // Two at a time: the machine has two cores, and each CLI run starts its own node process.
    const worker = async () => {
      while (next < names.length) {
        const name = names[next++]!;
        runs[name] = name === 'clean' ? verifyRegistered(files[name]!) : verifyClaim(files[name]!);
        await runs[name];
      }
    };
    settled.push(worker(), worker(), (async () => void (cliMissing = await cliEvidence(h1, 'h1-claim-none')))());
    await Promise.all(settled);
  }, 180_000);

  it('the payer fetched the evidence with the CLI and verify-claim says VERIFIED (exit 0)', async () => {
    const bundle = JSON.parse(readFileSync(cliFetch.file, 'utf8'));
    expect(bundle.type).toBe('collection');
    expect(bundle.entry[0].resource.resourceType).toBe('Claim');
    const { run, report } = await runs.clean!;
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(report.verdict).toBe('VERIFIED');
    for (const c of report.checks) expect(c.status, `${c.name}: ${c.detail}`).toBe('pass');
  });

  it('catches a resource edited after anchoring (receipts)', async () => {
    const { run, report } = await runs.edited!;
    expect(run.code).toBe(1);
    expect(report.verdict).toBe('FAILED');
    expect(check(report, 'receipts').status).toBe('fail');
    expect(JSON.stringify(check(report, 'receipts').evidence)).toContain(`Observation/${set1.cases[CASE.clean]!.observation.id}`);
  });

  it('catches an encounter anchored after the claim (encounter-before-claim)', async () => {
    const { run, report } = await runs.lateEncounter!;
    expect(run.code).toBe(1);
    expect(check(report, 'encounter-before-claim').status).toBe('fail');
  });

  it('catches a service date outside the encounter (service-dates)', async () => {
    const { run, report } = await runs.outsideDates!;
    expect(run.code).toBe(1);
    expect(check(report, 'service-dates').status).toBe('fail');
  });

  it('catches a practitioner whose licence had lapsed on the date of service (licence, from Practitioner.qualification)', async () => {
    const { run, report } = await runs.lapsedLicence!;
    expect(run.code).toBe(1);
    expect(check(report, 'licence').status).toBe('fail');
  });

  it('catches coverage for someone else (coverage)', async () => {
    const { run, report } = await runs.otherCoverage!;
    expect(run.code).toBe(1);
    expect(check(report, 'coverage').status).toBe('fail');
  });

  it('catches the same service billed by two hospitals, naming the earlier member (duplicates)', async () => {
    const { run, report } = await runs.duplicate!;
    expect(run.code).toBe(1);
    const duplicates = check(report, 'duplicates');
    expect(duplicates.status).toBe('fail');
    expect(JSON.stringify(duplicates.evidence)).toContain(memberIdOf(H1));
  });

  it("catches a bundle with a resource swapped for another patient's (patient)", async () => {
    const { run, report } = await runs.swapped!;
    expect(run.code).toBe(1);
    expect(check(report, 'patient').status).toBe('fail');
  });

  it('rejects bad input to verify-claim (not a Bundle, a Bundle without a Claim) with exit 2 and one line', async () => {
    for (const name of ['notBundle', 'noClaim']) {
      const { run } = await runs[name]!;
      expect(run.code, run.stdout).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/^careledger verify-claim: could not verify: /);
    }
  });

  it("refuses a payer asking for another payer's claim, or for a claim that does not exist, changing nothing", async () => {
    const read = async () => (await fetch(`${h1.baseUrl}/fhir/Claim/${claimOf(CASE.clean)}`, { headers: { authorization: `Bearer ${h1.dev.token}` } })).json();
    const before = await read();
    const other = await evidenceAs(h1, claimOf(CASE.clean), otherPayerKey, OTHER_PAYER);
    const missing = await evidenceAs(h1, 'h1-claim-none', otherPayerKey, OTHER_PAYER);
    expect(other.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(((await other.json()) as any).issue[0].details.text).toMatch(/is not among the claims billed to payer-2/);
    expect(cliMissing.run.code).toBe(1);
    expect(cliMissing.run.stderr).toMatch(/404: Claim\/h1-claim-none is not among the claims billed to payer-1/);
    expect(await read()).toEqual(before);
  });

  function file(name: string, value: unknown): string {
    const path = join(work, name);
    writeFileSync(path, JSON.stringify(value));
    return path;
  }
});

/** A practitioner whose licence (Practitioner.qualification) ended before the services of 2024. */
const LAPSED_PRACTITIONER: SyntheticResource = {
  resourceType: 'Practitioner',
  id: 'h1-pr-lapsed',
  identifier: [{ system: 'http://hl7.org/fhir/sid/us-npi', value: '9999977001' }],
  active: true,
  name: [{ family: 'Lapsedson', given: ['Lee'], prefix: ['Dr.'] }],
  qualification: [
    {
      identifier: [{ system: 'urn:careledger:licence', value: 'LIC-h1-lapsed' }],
      code: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0360', code: 'MD' }] },
      period: { start: '2015-01-01', end: '2023-06-30' },
    },
  ],
};

/** Plants the patterns a hospital could commit in the hospital's own records (the others are planted in bundles). */
function plant(set: SyntheticClaims): void {
  const c = set.cases;
  const claim = (n: number) => c[n]!.claim as Record<string, any>;
  // Billed for a day after the encounter ended.
  const outside = c[CASE.outsideDates]!;
  const later = new Date(Date.parse(`${outside.serviceDate}T00:00:00Z`) + 5 * 86_400_000).toISOString().slice(0, 10);
  claim(CASE.outsideDates).item[2].servicedDate = later;
  // Rendered by a practitioner whose licence lapsed before the date of service.
  for (const team of claim(CASE.lapsedLicence).careTeam) team.provider = { reference: `Practitioner/${LAPSED_PRACTITIONER.id}` };
  (c[CASE.lapsedLicence]!.procedure as Record<string, any>).performer = [{ actor: { reference: `Practitioner/${LAPSED_PRACTITIONER.id}` } }];
  // The Coverage is another patient's.
  (c[CASE.otherCoverage]!.coverage as Record<string, any>).beneficiary = { reference: `Patient/${c[CASE.otherPatient]!.patient.id}` };
}
