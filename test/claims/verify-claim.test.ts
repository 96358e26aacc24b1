// verify-claim on one in-process hospital node joined to a chain with a PAYER and a second HOSPITAL
// member: synthetic R4 claims flow in through the R4 intake, the node registers their line
// fingerprints (its claims key is in DATA_DIR/keys), the evidence is assembled as $evidence does,
// and the payer-side verifier (the pinned verifier of `careledger verify`, the pinned ClaimRegistry)
// says VERIFIED for a genuine claim and names the failing check for each planted fraud. The CLI is
// run as a process once, and in this process for the exit codes, the JSON report and bad input.
// Registries deployed a second time on the same chain (look-alikes) anchor a forged claim that
// verify-claim, careledger verify and $verify-anchor all reject by `trust-contract`.

import { Wallet } from 'ethers';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cachedAnchorLookup } from '../../gateway/claims/chain-cache.js';
import { claimLineFingerprints, claimTagOf } from '../../gateway/claims/claim-fingerprint.js';
import type { ClaimCheckName, ClaimReport } from '../../gateway/claims/claim-report.js';
import { claimsKeyPath, generateClaimsKey, writeClaimsKey } from '../../gateway/claims/claims-key.js';
import { assembleEvidence } from '../../gateway/claims/evidence-bundle.js';
import { startFingerprintRegistrar } from '../../gateway/claims/fingerprint-registrar.js';
import { verifyClaimBundle } from '../../gateway/claims/verify-claim.js';
import { run as runVerifyClaim } from '../../gateway/cli/commands/verify-claim.js';
import { run as runVerify } from '../../gateway/cli/commands/verify.js';
import { memberIdOf } from '../../gateway/crypto/digest.js';
import { connectEvmLedger } from '../../gateway/ledger/evm/connect.js';
import type { Hex } from '../../gateway/ledger/ports.js';
import type { RunningNode } from '../../gateway/node.js';
import { receiptJsonFromProvenance } from '../../gateway/receipts/provenance.js';
import { serializeTrustFile, trustFingerprint, type TrustFile } from '../../gateway/receipts/trust-file.js';
import { exportTrust, pinnedVerifier } from '../../gateway/receipts/trust-root.js';
import { SqliteReceiptRecordStore } from '../../gateway/store/receipt-record-store.js';
import type { FhirResource } from '../../gateway/store/service.js';
import { type DeployResult, deployConsortium } from '../../network/deploy.js';
import type { EmbeddedChain } from '../../network/embedded-chain.js';
import { anchorAsEvidence } from '../support/anchored-evidence.js';
import { findOnChain, readChainContent } from '../support/chain-scan.js';
import { startClaimsNode } from '../support/claims-node.js';
import { runCli } from '../support/cli.js';
import { devToken } from '../support/consent-pair.js';
import { eventually } from '../support/eventually.js';
import { waitForAnchoring } from '../support/fhir-client.js';
import { claimResources, syntheticClaims, type ClaimCase, type SyntheticClaims } from '../support/synthetic-claims.js';

const HOSPITAL = 'vc-hospital';
const PAYER = 'vc-payer';
const OTHER_HOSPITAL = 'vc-hospital-2';
const BOARD = 'vc-licensing-board';
const ZERO = `0x${'0'.repeat(64)}` as Hex;

type R4 = Record<string, any>;
type EvidenceBundle = FhirResource & { entry: Array<{ fullUrl: string; resource: FhirResource }> };

/** A CLI command run in this process with its output captured: the same code as the process, without its start-up cost. */
async function inProcess(command: (argv: string[]) => Promise<number>, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void out.push(String(line)));
  const error = vi.spyOn(console, 'error').mockImplementation((line: unknown) => void err.push(String(line)));
  try {
    const code = await command(args);
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

describe('verify-claim against the pinned chain', () => {
  const dir = mkdtempSync(join(tmpdir(), 'careledger-verify-claim-'));
  const otherHospitalKey = Wallet.createRandom().privateKey;
  const boardKey = Wallet.createRandom().privateKey;
  const claimsKey = generateClaimsKey();
  const keyFile = join(dir, 'claims.key');
  const trustPath = join(dir, 'consortium.trust.json');
  let chain: EmbeddedChain;
  let node: RunningNode;
  let staff: string;
  let set: SyntheticClaims;
  let trust: TrustFile;

  async function fhir(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const response = await fetch(`${node.config.publicUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${staff}`, ...(body ? { 'content-type': 'application/fhir+json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, body: await response.json() };
  }

  /** PUTs R4 resources through the R4 intake in one transaction and waits until they are anchored. */
  async function load(resources: R4[]): Promise<void> {
    const loaded = await fhir('POST', '/fhir/R4', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: resources.map((resource) => ({ resource, request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` } })),
    });
    expect(loaded.status, JSON.stringify(loaded.body).slice(0, 1000)).toBe(200);
    await waitForAnchoring(node.config.publicUrl);
  }

  async function evidence(claimId: string): Promise<EvidenceBundle> {
    const claim = (await node.store.read('Claim', claimId)).resource;
    const result = await assembleEvidence(node.store, claim, { baseUrl: `${node.config.publicUrl}/fhir` });
    if (result.status !== 'complete') throw new Error(`evidence of Claim/${claimId} is pending: ${result.waitingFor.join(', ')}`);
    return result.bundle as EvidenceBundle;
  }

  /** Waits until the node registered every line of the claim that has a fingerprint. */
  async function registered(c: { claim: R4 }, resources: R4[]): Promise<void> {
    const resolve = (ref: string) => resources.find((r) => ref.endsWith(`${r.resourceType}/${r.id}`)) as FhirResource | undefined;
    const tag = claimTagOf(claimsKey, memberIdOf(HOSPITAL), c.claim.id);
    const lines = claimLineFingerprints(c.claim as FhirResource, resolve, claimsKey).filter((l) => l.fingerprint);
    expect(lines.length).toBeGreaterThan(0);
    await eventually(async () => {
      for (const line of lines) expect(await node.chain.claimFingerprints!.isRegistered(line.fingerprint!, memberIdOf(HOSPITAL), tag)).toBe(true);
    }, 20_000);
  }

  function verify(bundle: unknown, options: { key?: Buffer | null } = {}): Promise<ClaimReport> {
    return verifyClaimBundle(bundle, {
      trust,
      trustSource: 'test',
      trustFingerprint: trustFingerprint(trust),
      verify: pinnedVerifier(trust, cachedAnchorLookup(node.chain.lookupAnchor), node.chain.verifier),
      fingerprints: node.chain.claimFingerprints,
      claimsKey: options.key === undefined ? claimsKey : options.key,
      licences: node.chain.licences,
    });
  }

  const status = (report: ClaimReport) => Object.fromEntries(report.checks.map((c) => [c.name, c.status])) as Record<ClaimCheckName, string>;
  const check = (report: ClaimReport, name: ClaimCheckName) => report.checks.find((c) => c.name === name)!;
  const failing = (report: ClaimReport) => report.checks.filter((c) => c.status === 'fail').map((c) => c.name);

  /** A copy of a synthetic case's claim under a new id, changed by `change`. */
  function plantedClaim(c: ClaimCase, id: string, change: (claim: R4) => void = () => undefined): R4 {
    const claim = structuredClone(c.claim) as R4;
    claim.id = id;
    claim.identifier = [{ system: 'urn:test:planted', value: id }];
    change(claim);
    return claim;
  }

  beforeAll(async () => {
    writeClaimsKey(claimsKeyPath(join(dir, 'node'), {}), claimsKey);
    writeFileSync(keyFile, `${claimsKey.toString('hex')}\n`);
    let contracts: DeployResult['contracts'];
    ({ chain, node, contracts } = await startClaimsNode({
      dir,
      hospitalOrgId: HOSPITAL,
      members: [
        { orgId: PAYER, roles: ['PAYER'], signer: new Wallet(Wallet.createRandom().privateKey).address as Hex },
        { orgId: OTHER_HOSPITAL, roles: ['HOSPITAL'], signer: new Wallet(otherHospitalKey).address as Hex },
        { orgId: BOARD, roles: ['LICENSING'], signer: new Wallet(boardKey).address as Hex },
      ],
      batchMaxAgeMs: 300,
    }));
    expect(contracts.ClaimRegistry).toMatch(/^0x[0-9a-f]{40}$/);
    staff = devToken(node);
    trust = await exportTrust({ kind: 'evm', chainId: chain.chainId, contracts }, node.chain.verifier);
    writeFileSync(trustPath, serializeTrustFile(trust));
    set = syntheticClaims({ hospitalOrgId: HOSPITAL, payerOrgIds: [PAYER], count: 3, seed: 13, prefix: 'vc' });
    await load(claimResources(set));
    await registered(set.cases[0]!, claimResources(set));
  }, 120_000);

  afterAll(async () => {
    await node?.close();
    await chain?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the trust file pins the ClaimRegistry beside the other registries', () => {
    expect(trust.contracts.ClaimRegistry).toBe(node.chain.claimFingerprints!.contract);
  });

  it('a genuine synthetic claim is VERIFIED, every check passing with its evidence', async () => {
    const report = await verify(await evidence(set.cases[0]!.claim.id));
    expect(status(report), JSON.stringify(report.checks.filter((c) => c.status !== 'pass'), null, 1)).toEqual({
      references: 'pass',
      'trust-contract': 'pass',
      receipts: 'pass',
      patient: 'pass',
      'provider-member': 'pass',
      'encounter-before-claim': 'pass',
      'service-dates': 'pass',
      licence: 'pass',
      coverage: 'pass',
      duplicates: 'pass',
    });
    expect(report).toMatchObject({ format: 'careledger-claim-report/1', verdict: 'VERIFIED', fhirVersion: 'R5', claim: { resource: `Claim/${set.cases[0]!.claim.id}/_history/1` } });
    const receipts = check(report, 'receipts').evidence;
    expect(receipts.length).toBeGreaterThanOrEqual(8);
    for (const e of receipts) {
      expect(e).toMatchObject({ member: memberIdOf(HOSPITAL), leaf: expect.stringMatching(/^0x[0-9a-f]{64}$/), root: expect.stringMatching(/^0x/), tx: expect.stringMatching(/^0x/), block: expect.any(Number), sequence: expect.stringMatching(/^\d+$/) });
    }
    expect(check(report, 'duplicates').evidence.every((e) => e.member === memberIdOf(HOSPITAL) && e.fingerprint)).toBe(true);
  });

  it('replaying an anchored batch to the registrar (a restart) sends nothing twice', async () => {
    const claim = set.cases[0]!.claim as R4;
    const { body: receipt } = await fhir('GET', `/fhir/Claim/${claim.id}/_history/1/$receipt`);
    const resolve = (ref: string) => claimResources(set).find((r) => ref.endsWith(`${r.resourceType}/${r.id}`)) as FhirResource | undefined;
    const [line] = claimLineFingerprints(claim as FhirResource, resolve, claimsKey);
    const before = await node.chain.claimFingerprints!.registrations(line!.fingerprint!);
    const errors: unknown[] = [];
    const records = new SqliteReceiptRecordStore(node.db);
    const registrar = startFingerprintRegistrar({
      batchVersions: (seq, after, limit) => records.batchVersions(seq, after, limit),
      store: node.store,
      fingerprints: node.chain.claimFingerprints!,
      memberId: node.chain.memberId,
      claimsKey,
      onError: (error) => errors.push(error),
    });
    expect(records.batchVersions(Number(receipt.anchor.sequence), 0, 10_000).some((v) => v.type === 'Claim' && v.id === claim.id)).toBe(true);
    registrar.batchAnchored(Number(receipt.anchor.sequence));
    await registrar.idle();
    await registrar.stop();
    expect(errors).toEqual([]);
    expect(await node.chain.claimFingerprints!.registrations(line!.fingerprint!)).toEqual(before);
  });

  it('without the claims key the duplicate check cannot run: INCONCLUSIVE', async () => {
    const report = await verify(await evidence(set.cases[0]!.claim.id), { key: null });
    expect(check(report, 'duplicates')).toMatchObject({ status: 'skip', detail: expect.stringContaining('no claims key') });
    expect(report.verdict).toBe('INCONCLUSIVE');
  });

  it('an R4 copy of the evidence is checked in the R5 form its receipts cover, and the report says so', async () => {
    const bundle = await evidence(set.cases[0]!.claim.id);
    const r4 = new Map(claimResources(set).map((r) => [`${r.resourceType}/${r.id}`, r]));
    for (const entry of bundle.entry) {
      const original = r4.get(`${entry.resource.resourceType}/${entry.resource.id}`);
      if (original) entry.resource = { ...structuredClone(original), meta: entry.resource.meta } as FhirResource;
    }
    const report = await verify(bundle);
    expect(report.fhirVersion).toBe('R4');
    expect(report.form).toMatch(/checked in the R5 form/);
    expect(report.verdict).toBe('VERIFIED');
  });

  it('a resource edited after anchoring fails `receipts` (digest)', async () => {
    const bundle = await evidence(set.cases[0]!.claim.id);
    const encounter = bundle.entry.find((e) => e.resource.resourceType === 'Encounter')!.resource;
    (encounter.actualPeriod as { end: string }).end = '2024-12-31T00:00:00Z';
    const report = await verify(bundle);
    expect(report.verdict).toBe('FAILED');
    expect(failing(report)).toContain('receipts');
    expect(check(report, 'receipts').evidence.find((e) => e.status === 'fail')).toMatchObject({ resource: expect.stringMatching(/^Encounter\//), receiptCheck: 'digest' });
  });

  it('a bundle with a resource swapped for another patient’s fails `references` and `patient`', async () => {
    const own = await evidence(set.cases[0]!.claim.id);
    const other = await evidence(set.cases[1]!.claim.id);
    const swap = (entries: EvidenceBundle['entry'], id: string) => entries.filter((e) => e.resource.id === id || (e.resource.resourceType === 'Provenance' && JSON.stringify(e.resource.target).includes(`/${id}/`)));
    const ownEncounter = set.cases[0]!.encounter.id;
    own.entry = [...own.entry.filter((e) => !swap(own.entry, ownEncounter).includes(e)), ...swap(other.entry, set.cases[1]!.encounter.id)];
    const report = await verify(own);
    expect(report.verdict).toBe('FAILED');
    expect(failing(report)).toEqual(expect.arrayContaining(['references', 'patient']));
    expect(check(report, 'patient').evidence[0]).toMatchObject({ resource: `Encounter/${set.cases[1]!.encounter.id}/_history/1`, status: 'fail' });
  });

  describe('planted frauds, each caught by its own check', () => {
    const reports = new Map<string, ClaimReport>();

    beforeAll(async () => {
      const [a, b] = [set.cases[0]!, set.cases[1]!];
      const lapsedDoctor = { ...structuredClone(a.practitioner), id: 'vc-lapsed-dr', identifier: [{ system: 'http://hl7.org/fhir/sid/us-npi', value: '9999977777' }] } as R4;
      lapsedDoctor.qualification[0].period = { start: '2010-01-01', end: '2019-06-30' };
      const outside = plantedClaim(a, 'vc-outside', (c) => {
        for (const item of c.item) item.servicedDate = '2024-09-30';
      });
      const lapsed = plantedClaim(a, 'vc-lapsed', (c) => {
        c.careTeam[0].provider.reference = 'Practitioner/vc-lapsed-dr';
        c.item = [{ ...c.item[0], productOrService: { coding: [{ system: 'http://snomed.info/sct', code: '11111001' }] } }];
      });
      const otherCoverage = plantedClaim(a, 'vc-other-coverage', (c) => {
        c.insurance[0].coverage.reference = `Coverage/${b.coverage.id}`;
      });
      const sameHospital = plantedClaim(a, 'vc-billed-twice');
      const lateClaim = plantedClaim(a, 'vc-late-encounter', (c) => {
        for (const item of c.item) item.encounter = [{ reference: 'Encounter/vc-late-enc' }];
        c.item = [{ ...c.item[0], productOrService: { coding: [{ system: 'http://snomed.info/sct', code: '22222002' }] } }];
      });
      // Two practitioners known by their key only (no qualification): the LicenceRegistry decides.
      const keyed = (id: string, npi: string) => {
        const doctor = { ...structuredClone(a.practitioner), id, identifier: [{ system: 'http://hl7.org/fhir/sid/us-npi', value: npi }, { system: 'urn:careledger:practitioner-key', value: Wallet.createRandom().address }] } as R4;
        delete doctor.qualification;
        return doctor;
      };
      const [credentialed, notYet] = [keyed('vc-keyed-dr', '9999966661'), keyed('vc-keyed-later-dr', '9999966662')];
      const board = await connectEvmLedger({ kind: 'evm', rpcUrl: chain.rpcUrl, chainId: chain.chainId, contracts: trust.contracts, privateKey: boardKey as Hex, pollingIntervalMs: 50 });
      try {
        const seconds = (day: string) => Date.parse(`${day}T00:00:00Z`) / 1000;
        await board.licences!.issue(`0x${'c1'.repeat(32)}`, credentialed.identifier[1].value.toLowerCase(), seconds('2020-01-01'), seconds('2035-01-01'));
        await board.licences!.issue(`0x${'c2'.repeat(32)}`, notYet.identifier[1].value.toLowerCase(), seconds('2025-06-01'), seconds('2035-01-01'));
      } finally {
        await board.close();
      }
      const byCredential = plantedClaim(a, 'vc-credential', (c) => {
        c.careTeam[0].provider.reference = 'Practitioner/vc-keyed-dr';
        c.item = [{ ...c.item[0], productOrService: { coding: [{ system: 'http://snomed.info/sct', code: '44444004' }] } }];
      });
      const credentialNotYet = plantedClaim(a, 'vc-credential-not-yet', (c) => {
        c.careTeam[0].provider.reference = 'Practitioner/vc-keyed-later-dr';
        c.item = [{ ...c.item[0], productOrService: { coding: [{ system: 'http://snomed.info/sct', code: '55555005' }] } }];
      });
      const otherHospitalClaim = plantedClaim(b, 'vc-billed-by-two', (c) => {
        c.item = [{ ...c.item[0], productOrService: { coding: [{ system: 'http://snomed.info/sct', code: '33333003' }] } }];
      });

      // The second hospital bills the same service first: same subscriber, day, code, practitioner.
      const other = await connectEvmLedger({ kind: 'evm', rpcUrl: chain.rpcUrl, chainId: chain.chainId, contracts: trust.contracts, privateKey: otherHospitalKey as Hex, pollingIntervalMs: 50 });
      try {
        await other.anchors.submitAnchor({ sequence: 1n, root: `0x${'42'.repeat(32)}`, leafCount: 1, prevRoot: ZERO });
        const resolve = (ref: string) => claimResources(set).find((r) => ref.endsWith(`${r.resourceType}/${r.id}`)) as FhirResource | undefined;
        const [line] = claimLineFingerprints(otherHospitalClaim as FhirResource, resolve, claimsKey);
        await other.claimFingerprints!.register(1n, [{ claimTag: claimTagOf(claimsKey, memberIdOf(OTHER_HOSPITAL), 'their-claim-9'), fingerprint: line!.fingerprint! }]);
      } finally {
        await other.close();
      }

      await load([lapsedDoctor, credentialed, notYet, outside, lapsed, otherCoverage, sameHospital, otherHospitalClaim, lateClaim, byCredential, credentialNotYet]);
      // The encounter of vc-late-encounter is documented only after the claim was anchored.
      await load([{ ...structuredClone(a.encounter), id: 'vc-late-enc', identifier: [{ system: 'urn:test:planted', value: 'vc-late-enc' }] }]);
      const resources = [...claimResources(set), lapsedDoctor, credentialed, notYet];
      for (const claim of [outside, lapsed, otherCoverage, sameHospital, otherHospitalClaim, lateClaim, byCredential, credentialNotYet]) {
        await registered({ claim }, resources);
        reports.set(claim.id, await verify(await evidence(claim.id)));
      }
    }, 120_000);

    const only = (id: string, name: ClaimCheckName) => {
      const report = reports.get(id)!;
      expect(report.verdict).toBe('FAILED');
      expect(failing(report), JSON.stringify(report.checks.filter((c) => c.status !== 'pass'), null, 1)).toEqual([name]);
      return check(report, name);
    };

    it('an encounter anchored after the claim fails `encounter-before-claim`', () => {
      const failed = only('vc-late-encounter', 'encounter-before-claim');
      expect(failed.evidence.find((e) => e.status === 'fail')).toMatchObject({ resource: 'Encounter/vc-late-enc/_history/1', note: expect.stringContaining('after the Claim') });
    });

    it('a date of service outside the encounter fails `service-dates`', () => {
      const failed = only('vc-outside', 'service-dates');
      expect(failed.evidence.find((e) => e.status === 'fail')?.note).toMatch(/served 2024-09-30, outside Encounter\//);
    });

    it('a practitioner whose licence had lapsed fails `licence`', () => {
      const failed = only('vc-lapsed', 'licence');
      expect(failed.evidence.find((e) => e.status === 'fail')).toMatchObject({ resource: 'Practitioner/vc-lapsed-dr/_history/1', note: expect.stringMatching(/not licensed on \d{4}-\d{2}-\d{2}: LIC-vc-0 2010-01-01\.\.2019-06-30/) });
    });

    it('a licence credential in the pinned LicenceRegistry decides for a practitioner known by key', () => {
      const report = reports.get('vc-credential')!;
      expect(report.verdict).toBe('VERIFIED');
      expect(check(report, 'licence').evidence[0]?.note).toMatch(new RegExp(`^licensed on \\d{4}-\\d{2}-\\d{2}: credential 0x(c1){32} of 0x[0-9a-f]{40} by LICENSING member ${memberIdOf(BOARD)}, 2020-01-01\\.\\.2034-12-31$`));
      const failed = only('vc-credential-not-yet', 'licence');
      expect(failed.evidence[0]?.note).toMatch(/^not licensed on \d{4}-\d{2}-\d{2}: the LicenceRegistry's latest is credential 0x(c2){32} .*2025-06-01\.\.2034-12-31$/);
    });

    it('coverage for someone else fails `coverage`', () => {
      const report = reports.get('vc-other-coverage')!;
      expect(report.verdict).toBe('FAILED');
      // The other patient's Coverage is in the bundle and says so: `patient` fails beside it.
      expect(failing(report)).toEqual(['patient', 'coverage']);
      expect(check(report, 'coverage').evidence[0]?.note).toMatch(/the beneficiary is Patient\/.+, the claim is for Patient\//);
    });

    it('the same service billed twice by one hospital fails `duplicates`, naming the earlier anchor', () => {
      const failed = only('vc-billed-twice', 'duplicates');
      const earlier = failed.evidence.filter((e) => e.status === 'fail');
      expect(earlier.length).toBe((set.cases[0]!.claim as R4).item.length);
      expect(earlier[0]).toMatchObject({ member: memberIdOf(HOSPITAL), sequence: expect.stringMatching(/^\d+$/), tx: expect.stringMatching(/^0x/), block: expect.any(Number) });
    });

    it('the same service billed by two hospitals fails `duplicates`, naming the other member', () => {
      const failed = only('vc-billed-by-two', 'duplicates');
      expect(failed.evidence.find((e) => e.status === 'fail')).toMatchObject({ member: memberIdOf(OTHER_HOSPITAL), sequence: '1' });
    });

    it('the chain holds the fingerprints, and no subscriber id, claim id, NPI, code, name or the claims key', async () => {
      const content = await readChainContent(chain.rpcUrl);
      const resolve = (ref: string) => claimResources(set).find((r) => ref.endsWith(`${r.resourceType}/${r.id}`)) as FhirResource | undefined;
      const fingerprints = claimLineFingerprints(set.cases[0]!.claim as FhirResource, resolve, claimsKey).map((l) => l.fingerprint!.slice(2));
      expect(findOnChain(content, fingerprints)).toEqual(fingerprints);
      const phi = set.cases.flatMap((c) => {
        const [coverage, practitioner, patient] = [c.coverage, c.practitioner, c.patient] as R4[];
        return [
          coverage.subscriberId,
          coverage.subscriberId.replace(/[^A-Za-z0-9]/g, '').toUpperCase(),
          c.claim.id,
          practitioner.identifier[0].value,
          patient.id,
          ...patient.name.flatMap((n: { family: string; given: string[] }) => [n.family, ...n.given]),
          ...(c.claim as R4).item.map((i: { productOrService: { coding: Array<{ code: string }> } }) => i.productOrService.coding[0]!.code),
        ];
      });
      expect(findOnChain(content, [...phi, claimsKey.toString('hex')])).toEqual([]);
    });

    it('the claim billed first is told, as a warning, that another claim bills the same service later', async () => {
      const report = await verify(await evidence(set.cases[0]!.claim.id));
      expect(report.verdict).toBe('WARNINGS');
      expect(check(report, 'duplicates')).toMatchObject({ status: 'warn', detail: expect.stringContaining('later claim') });
    });
  });

  describe('look-alike registries on the same chain', () => {
    let genuine: EvidenceBundle;
    let forged: EvidenceBundle;
    const claimId = () => set.cases[0]!.claim.id;

    beforeAll(async () => {
      // The attacker deploys the project's registries again, with a member whose org id is the
      // hospital's (so the same member id) and its own key, and anchors an inflated copy of the claim
      // with the rest of its evidence as one batch.
      const attacker = chain.accounts[7]!;
      const lookalike = await deployConsortium({
        rpcUrl: chain.rpcUrl,
        chainId: chain.chainId,
        deployerKey: attacker.privateKey as Hex,
        members: [{ orgId: HOSPITAL, roles: ['HOSPITAL'], signer: attacker.address as Hex }],
        dataDir: join(dir, 'lookalike'),
      });
      const ledger = await connectEvmLedger({ kind: 'evm', ...lookalike, privateKey: attacker.privateKey as Hex, pollingIntervalMs: 50 });
      try {
        expect(ledger.anchors.memberId).toBe(memberIdOf(HOSPITAL));
        genuine = await evidence(claimId());
        const resources = genuine.entry.map((e) => structuredClone(e.resource)).filter((r) => r.resourceType !== 'Provenance');
        const claim = resources.find((r) => r.resourceType === 'Claim')!;
        (claim.total as { value: number }).value *= 10;
        forged = (await anchorAsEvidence(resources, ledger.anchors, `${node.config.publicUrl}/fhir`)).bundle;
      } finally {
        await ledger.close();
      }
    }, 60_000);

    it('verify-claim fails the forged claim by `trust-contract` and still verifies the genuine one', async () => {
      const [bad, good] = await Promise.all([verify(forged), verify(genuine)]);
      expect(bad.verdict).toBe('FAILED');
      expect(check(bad, 'trust-contract')).toMatchObject({ status: 'fail', detail: expect.stringContaining('name a registry other than the consortium') });
      expect(check(bad, 'trust-contract').evidence.length).toBe(forged.entry.length / 2);
      expect(check(bad, 'trust-contract').evidence[0]).toMatchObject({ receiptCheck: 'trust-contract', note: expect.stringMatching(/^the receipt names AnchorRegistry 0x[0-9a-f]{40} on chain \d+; the consortium's \(trust file\) is /) });
      expect(check(good, 'trust-contract').status).toBe('pass');
      expect(good.verdict).not.toBe('FAILED');
    });

    it('careledger verify and $verify-anchor reject the forged Claim by `trust-contract` too', async () => {
      const claim = forged.entry.find((e) => e.resource.resourceType === 'Claim')!.resource;
      const provenance = forged.entry.find((e) => e.resource.resourceType === 'Provenance' && JSON.stringify(e.resource.target).includes(`Claim/${claimId()}/`))!.resource;
      const write = (name: string, value: unknown) => {
        const path = join(dir, name);
        writeFileSync(path, JSON.stringify(value));
        return path;
      };
      const verified = await inProcess(runVerify, ['--resource', write('forged-claim.json', claim), '--receipt', write('forged-provenance.json', provenance), '--trust', trustPath, '--rpc', chain.rpcUrl]);
      expect(verified.code).toBe(1);
      expect(verified.stdout).toMatch(/^invalid: trust-contract: /);
      const response = await node.app.inject({
        method: 'POST',
        url: '/fhir/$verify-anchor',
        headers: { authorization: `Bearer ${staff}`, 'content-type': 'application/fhir+json' },
        payload: { resourceType: 'Parameters', parameter: [{ name: 'resource', resource: claim }, { name: 'receipt', valueString: receiptJsonFromProvenance(provenance) }] },
      });
      const parameters = response.json().parameter as Array<{ name: string; valueBoolean?: boolean; valueCode?: string }>;
      expect(parameters.find((p) => p.name === 'valid')?.valueBoolean).toBe(false);
      expect(parameters.find((p) => p.name === 'failedCheck')?.valueCode).toBe('trust-contract');
    });
  });

  describe('the CLI', () => {
    const bundleFile = (name: string, value: unknown) => {
      const path = join(dir, name);
      writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
      return path;
    };
    const rpc = () => ['--rpc', chain.rpcUrl];
    it('as a process: prints the readable report and exits 0 for a verified claim', async () => {
      const path = bundleFile('genuine.json', await evidence(set.cases[2]!.claim.id));
      const text = await runCli(['verify-claim', path, '--trust', trustPath, '--claims-key', keyFile, ...rpc()], { CHAIN_RPC_URL: '', CLAIMS_KEY_FILE: '' });
      expect(text.stderr).toBe('');
      expect(text.code).toBe(0);
      expect(text.stdout.split('\n')[0]).toBe(`VERIFIED: Claim/${set.cases[2]!.claim.id}/_history/1 (${(set.cases[2]!.claim as R4).item.length} lines)`);
      expect(text.stdout).toContain(`trust: chain ${chain.chainId}, from trust file ${trustPath} (sha256:${trustFingerprint(trust)})`);
    });

    it('--json gives careledger-claim-report/1; FAILED exits 1 and INCONCLUSIVE (no claims key) exits 2', async () => {
      const bundle = await evidence(set.cases[2]!.claim.id);
      const json = await inProcess(runVerifyClaim, [bundleFile('json.json', bundle), '--trust', trustPath, '--claims-key', keyFile, '--json', ...rpc()]);
      expect(json.code).toBe(0);
      expect(JSON.parse(json.stdout)).toMatchObject({ format: 'careledger-claim-report/1', verdict: 'VERIFIED' });
      const noKey = await inProcess(runVerifyClaim, [bundleFile('no-key.json', bundle), '--trust', trustPath, ...rpc()]);
      expect(noKey.code).toBe(2);
      expect(noKey.stdout.split('\n')[0]).toMatch(/^INCONCLUSIVE: /);
      const patient = bundle.entry.find((e) => e.resource.resourceType === 'Patient')!.resource;
      patient.birthDate = '1900-01-01';
      const failed = await inProcess(runVerifyClaim, [bundleFile('edited.json', bundle), '--trust', trustPath, '--claims-key', keyFile, ...rpc()]);
      expect(failed.code).toBe(1);
      expect(failed.stdout).toMatch(/^FAILED: /);
      expect(failed.stdout).toMatch(/FAIL receipts: /);
    });

    it('refuses bad input with one line and exit 2, printing no report', async () => {
      const genuine = await evidence(set.cases[2]!.claim.id);
      const withoutClaim = { ...genuine, entry: genuine.entry.filter((e) => e.resource.resourceType !== 'Claim') };
      const otherChain = bundleFile('other-chain.trust.json', { ...trust, genesisHash: `0x${'ab'.repeat(32)}` });
      const badKey = bundleFile('bad.key', 'not a key');
      const runs = [
        await inProcess(runVerifyClaim, [bundleFile('not-json.json', 'not json'), '--trust', trustPath, ...rpc()]),
        await inProcess(runVerifyClaim, [bundleFile('not-bundle.json', { resourceType: 'Patient' }), '--trust', trustPath, ...rpc()]),
        await inProcess(runVerifyClaim, [bundleFile('no-claim.json', withoutClaim), '--trust', trustPath, ...rpc()]),
        await inProcess(runVerifyClaim, [bundleFile('genuine-2.json', genuine), '--trust', otherChain, ...rpc()]),
        await inProcess(runVerifyClaim, [bundleFile('genuine-3.json', genuine), ...rpc()]),
        await inProcess(runVerifyClaim, [bundleFile('genuine-4.json', genuine), '--trust', trustPath, '--claims-key', badKey, ...rpc()]),
      ];
      for (const run of runs) {
        expect(run.code).toBe(2);
        expect(run.stdout).toBe('');
        expect(run.stderr.trim().split('\n')[0]).toMatch(/^careledger verify-claim: could not verify: /);
      }
      const [notJson, notBundle, noClaim, wrongChain, noTrust, wrongKey] = runs.map((r) => r.stderr);
      expect(notJson).toMatch(/is not JSON/);
      expect(notBundle).toMatch(/is not a FHIR Bundle/);
      expect(noClaim).toMatch(/holds no Claim/);
      expect(wrongChain).toMatch(/the trust file pins chain \d+ with genesis 0xabab/);
      expect(noTrust).toMatch(/--trust FILE is required/);
      expect(wrongKey).toMatch(/is not a claims key/);
    });
  });
});
