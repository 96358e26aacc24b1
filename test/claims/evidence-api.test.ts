// GET /fhir/Claim/{id}/$evidence on one in-process hospital node joined to a chain with two
// PAYER members and a second HOSPITAL member: what the Bundle holds and that every receipt in it
// verifies, who may fetch it (the claim's payer, staff with read scopes) and who gets which
// refusal, the anchored HPAYMT AuditEvent of each fetch, and the 202 while evidence is unanchored.

import { Wallet } from 'ethers';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessTokenStore } from '../../gateway/auth/access-token-store.js';
import { DEV_CLIENT_ID } from '../../gateway/auth/dev-client.js';
import { openOfflineStore } from '../../gateway/cli/offline-store.js';
import { loadConfig } from '../../gateway/config.js';
import { signMemberJwt } from '../../gateway/consent/member-jwt.js';
import type { PurposeCode } from '../../gateway/consent/purpose-of-use.js';
import type { Hex } from '../../gateway/ledger/ports.js';
import type { RunningNode } from '../../gateway/node.js';
import { receiptJsonFromProvenance } from '../../gateway/receipts/provenance.js';
import { verifyReceipt } from '../../gateway/receipts/verify.js';
import { SqliteTokenStore } from '../../gateway/store/token-store.js';
import type { EmbeddedChain } from '../../network/embedded-chain.js';
import { startClaimsNode } from '../support/claims-node.js';
import { runCli } from '../support/cli.js';
import { devToken } from '../support/consent-pair.js';
import { eventually } from '../support/eventually.js';
import { waitForAnchoring } from '../support/fhir-client.js';
import { syntheaClaims } from '../support/synthea-claims.js';
import { claimResources, syntheticClaims, type SyntheticClaims } from '../support/synthetic-claims.js';

const HOSPITAL = 'evidence-hospital';
const PAYERS = ['evidence-payer-1', 'evidence-payer-2'];
const OTHER_HOSPITAL = 'evidence-hospital-2';
const SYNTHEA = join(import.meta.dirname, '../../../shared/data/synthea-10');
if (!existsSync(SYNTHEA)) console.warn(`skipping the Synthea claims evidence test: ${SYNTHEA} is absent`);

describe('claim evidence at the node', () => {
  const dir = mkdtempSync(join(tmpdir(), 'careledger-evidence-'));
  const payerKeys = PAYERS.map(() => Wallet.createRandom().privateKey);
  const otherHospitalKey = Wallet.createRandom().privateKey;
  let chain: EmbeddedChain;
  let node: RunningNode;
  let staff: string;
  let set: SyntheticClaims;

  beforeAll(async () => {
    ({ chain, node } = await startClaimsNode({
      dir,
      hospitalOrgId: HOSPITAL,
      members: [
        ...PAYERS.map((orgId, i) => ({ orgId, roles: ['PAYER' as const], signer: new Wallet(payerKeys[i]!).address as Hex })),
        { orgId: OTHER_HOSPITAL, roles: ['HOSPITAL'], signer: new Wallet(otherHospitalKey).address as Hex },
      ],
      batchMaxAgeMs: 1000,
    }));
    staff = devToken(node);
    set = syntheticClaims({ hospitalOrgId: HOSPITAL, payerOrgIds: PAYERS, count: 4, seed: 11, prefix: 'ev' });
    const loaded = await fhir('POST', '/fhir/R4', staff, {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: claimResources(set).map((resource) => ({ resource, request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` } })),
    });
    expect(loaded.status, JSON.stringify(loaded.body).slice(0, 2000)).toBe(200);
    await waitForAnchoring(node.config.publicUrl);
  }, 120_000);

  afterAll(async () => {
    await node?.close();
    await chain?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function fhir(method: string, path: string, token: string | null, body?: unknown) {
    const response = await fetch(`${node.config.publicUrl}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/fhir+json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
  }

  function memberJwt(key: string, orgId: string, purpose: PurposeCode = 'HPAYMT'): string {
    const now = Math.floor(Date.now() / 1000);
    return signMemberJwt(key, { iss: orgId, sub: 'adjuster-7', aud: node.config.publicUrl, iat: now, exp: now + 120, jti: randomUUID(), purpose });
  }
  const payerJwt = (i: number, purpose?: PurposeCode) => memberJwt(payerKeys[i]!, PAYERS[i]!, purpose);
  const evidence = (claimId: string, token: string | null) => fhir('GET', `/fhir/Claim/${claimId}/$evidence`, token);
  const caseOf = (i: number) => set.cases[i]!;

  async function auditEventsOf(patientId: string): Promise<any[]> {
    const found = await fhir('GET', `/fhir/AuditEvent?patient=Patient/${patientId}&_count=100`, staff);
    return (found.body.entry ?? []).map((e: any) => e.resource);
  }

  it("serves the claim's payer a collection Bundle with everything the claim cites, each with a receipt that verifies", async () => {
    const c = caseOf(0);
    const response = await evidence(c.claim.id, payerJwt(0));
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/application\/fhir\+json/);
    const bundle = response.body;
    expect(bundle.resourceType).toBe('Bundle');
    expect(bundle.type).toBe('collection');
    expect(bundle.issues).toBeUndefined();
    const resources = bundle.entry.map((e: any) => e.resource).filter((r: any) => r.resourceType !== 'Provenance');
    expect(resources[0].resourceType).toBe('Claim');
    const refs = resources.map((r: any) => `${r.resourceType}/${r.id}`).sort();
    expect(refs).toEqual(
      [
        `Claim/${c.claim.id}`,
        `Patient/${c.patient.id}`,
        `Organization/ev-org-hospital`,
        `Organization/ev-org-${PAYERS[0]}`,
        `Practitioner/${c.practitioner.id}`,
        `PractitionerRole/${c.practitioner.id}-role`,
        `Encounter/${c.encounter.id}`,
        `Coverage/${c.coverage.id}`,
        `Condition/${c.condition.id}`,
        `Procedure/${c.procedure.id}`,
        `Observation/${c.observation.id}`,
      ].sort(),
    );
    // Every entry's fullUrl is Type/id on the node's base, so relative references resolve inside.
    for (const entry of bundle.entry) expect(entry.fullUrl).toBe(`${node.fhirBase}/${entry.resource.resourceType}/${entry.resource.id}`);
    // The R4 claim is stored and served in its R5 form (Coverage.subscriberId is an Identifier list).
    const coverage = resources.find((r: any) => r.resourceType === 'Coverage');
    expect(coverage.subscriberId).toEqual([{ value: c.coverage.subscriberId }]);

    const provenances = bundle.entry.map((e: any) => e.resource).filter((r: any) => r.resourceType === 'Provenance');
    expect(provenances).toHaveLength(resources.length);
    for (const resource of resources) {
      const version = `${resource.resourceType}/${resource.id}/_history/${resource.meta.versionId}`;
      const provenance = provenances.find((p: any) => p.target[0].reference === version);
      expect(provenance, version).toBeDefined();
      const receipt = JSON.parse(receiptJsonFromProvenance(provenance)!);
      const result = await verifyReceipt(resource, receipt, node.chain.lookupAnchor);
      expect(result.valid, `${version}: ${result.valid ? '' : result.reason}`).toBe(true);
    }
  });

  it('writes each fetch as an HPAYMT AuditEvent naming the payer, which is anchored', async () => {
    const c = caseOf(2);
    expect((await evidence(c.claim.id, payerJwt(0))).status).toBe(200);
    const events = await auditEventsOf(c.patient.id);
    expect(events).toHaveLength(1);
    const event = events[0];
    expect(event.code.coding[0].code).toBe('operation');
    expect(event.authorization[0].coding[0].code).toBe('HPAYMT');
    expect(event.agent[0].who.display).toBe(PAYERS[0]);
    expect(event.agent[1].who.identifier.value).toBe('adjuster-7');
    expect(event.entity.map((e: any) => e.what?.reference)).toContain(`Claim/${c.claim.id}/_history/1`);
    await eventually(async () => {
      const receipt = await fhir('GET', `/fhir/AuditEvent/${event.id}/_history/${event.meta.versionId}/$receipt`, staff);
      expect(receipt.status).toBe(200);
    }, 20_000);
  });

  it("answers another payer's claim with the same 404 as a claim that does not exist, and changes nothing but the audit", async () => {
    const c = caseOf(0); // billed to payer 1
    const before = await fhir('GET', '/fhir/Claim?_count=0', staff);
    const other = await evidence(c.claim.id, payerJwt(1));
    const missing = await evidence('no-such-claim', payerJwt(1));
    expect(other.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(other.body.issue[0].details.text).toBe(`Claim/${c.claim.id} is not among the claims billed to ${PAYERS[1]} at this node: check the claim id with the hospital`);
    expect(missing.body.issue[0].details.text).toBe(`Claim/no-such-claim is not among the claims billed to ${PAYERS[1]} at this node: check the claim id with the hospital`);
    expect((await fhir('GET', `/fhir/Claim/${c.claim.id}`, staff)).body.meta.versionId).toBe('1');
    expect((await fhir('GET', '/fhir/Claim?_count=0', staff)).body.total).toBe(before.body.total);
    // The refusal is audited for the hospital (not in the patient's compartment: it names no patient).
    const refusals = await fhir('GET', '/fhir/AuditEvent?_count=200', staff);
    const mine = refusals.body.entry.map((e: any) => e.resource).filter((e: any) => e.agent[0].who.display === PAYERS[1]);
    const reasons = mine.map((e: any) => e.outcome.detail[0].text);
    expect(reasons).toHaveLength(2);
    expect(reasons).toContainEqual(expect.stringMatching(/insurer is member 0x[0-9a-f]{64}, not 0x/));
    expect(reasons).toContain('no such claim at this node');
  });

  it('refuses members that are no payer or state another purpose (403), and callers without credentials (401)', async () => {
    const c = caseOf(0);
    const hospital = await evidence(c.claim.id, memberJwt(otherHospitalKey, OTHER_HOSPITAL));
    expect(hospital.status).toBe(403);
    expect(hospital.body.issue[0].details.text).toMatch(/Only PAYER members/);
    const treat = await evidence(c.claim.id, payerJwt(0, 'TREAT'));
    expect(treat.status).toBe(403);
    expect(treat.body.issue[0].details.text).toMatch(/purpose HPAYMT/);
    const anonymous = await evidence(c.claim.id, null);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const forged = await evidence(c.claim.id, memberJwt(Wallet.createRandom().privateKey, PAYERS[0]!));
    expect(forged.status).toBe(401);
    expect((await evidence('bad id!', payerJwt(0))).status).toBe(400);
  });

  it("serves the hospital's staff when their token reads every type in the evidence, 403 otherwise", async () => {
    const c = caseOf(1);
    const full = await evidence(c.claim.id, staff);
    expect(full.status).toBe(200);
    const claimOnly = (await new AccessTokenStore(new SqliteTokenStore(node.db)).issue(DEV_CLIENT_ID, ['system/Claim.rs'], Date.now(), 300_000)).accessToken;
    const narrow = await evidence(c.claim.id, claimOnly);
    expect(narrow.status).toBe(403);
    expect(narrow.body.issue[0].diagnostics).toMatch(/needs system\/\w+\.r/);
  });

  it('lists a cited resource the node does not hold in Bundle.issues, and answers 202 while the evidence is not anchored', async () => {
    const c = caseOf(3);
    const claim = { ...c.claim, id: 'ev-claim-dangling', insurance: [{ sequence: 1, focal: true, coverage: { reference: 'Coverage/ev-cov-nowhere' } }] };
    const put = await fhir('PUT', `/fhir/R4/Claim/${claim.id}`, staff, claim);
    expect(put.status, JSON.stringify(put.body)).toBe(201);
    const pending = await evidence(claim.id, payerJwt(1));
    expect(pending.status).toBe(202);
    expect(Number(pending.headers.get('retry-after'))).toBeGreaterThan(0);
    await waitForAnchoring(node.config.publicUrl);
    const served = await evidence(claim.id, payerJwt(1));
    expect(served.status).toBe(200);
    expect(served.body.issues.issue).toEqual([
      {
        severity: 'error',
        code: 'not-found',
        details: { text: 'Claim.insurance[0].coverage cites Coverage/ev-cov-nowhere: this node holds no such resource' },
        expression: ['Claim.insurance[0].coverage'],
      },
    ]);
  });
  it.skipIf(!existsSync(SYNTHEA))("serves complete evidence for claims over Synthea's own patients, encounters, conditions, procedures and practitioners", async () => {
    const synthea = syntheaClaims(SYNTHEA, { hospitalOrgId: HOSPITAL, payerOrgId: PAYERS[0]!, count: 3 })!;
    const loaded = await fhir('POST', '/fhir/R4', staff, {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: synthea.resources.map((resource) => ({ resource, request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` } })),
    });
    expect(loaded.status, JSON.stringify(loaded.body).slice(0, 2000)).toBe(200);
    await waitForAnchoring(node.config.publicUrl);
    for (const claim of synthea.claims) {
      const response = await evidence(claim.id, payerJwt(0));
      expect(response.status, JSON.stringify(response.body).slice(0, 1000)).toBe(200);
      expect(response.body.issues).toBeUndefined();
      const resources = response.body.entry.map((e: any) => e.resource);
      const types = new Set(resources.map((r: any) => r.resourceType));
      for (const type of ['Claim', 'Patient', 'Encounter', 'Practitioner', 'Procedure', 'Coverage', 'Organization', 'Provenance']) expect(types).toContain(type);
      const cited = resources.filter((r: any) => r.resourceType !== 'Provenance');
      expect(resources.filter((r: any) => r.resourceType === 'Provenance')).toHaveLength(cited.length);
    }
  });

  it('exports the same evidence offline from the stopped node with `careledger claim evidence`, audited', async () => {
    const c = caseOf(1);
    const served = (await evidence(c.claim.id, staff)).body;
    const env = {
      DATA_DIR: join(dir, 'node'),
      CARELEDGER_MODE: 'dev',
      CARELEDGER_ORG_ID: HOSPITAL,
      PUBLIC_URL: node.config.publicUrl,
      CHAIN_RPC_URL: chain.rpcUrl,
      CHAIN_ID: String(chain.chainId),
      CHAIN_CONTRACTS: JSON.stringify(node.chain.descriptor.contracts),
    };
    await node.close();
    const out = join(dir, 'offline.evidence.json');
    const run = await runCli(['claim', 'evidence', c.claim.id, '--out', out], env);
    expect(run.code, run.stderr).toBe(0);
    const exported = JSON.parse(readFileSync(out, 'utf8'));
    const strip = (bundle: any) => bundle.entry.map((e: any) => [e.fullUrl, e.resource]);
    expect(strip(exported)).toEqual(strip(served));
    const offline = openOfflineStore(loadConfig(env));
    try {
      const audits = await offline.store.search({ type: 'AuditEvent', params: [{ code: 'patient', value: `Patient/${c.patient.id}` }], count: 100, offset: 0, summaryCount: false });
      expect(audits.resources.filter((e) => JSON.stringify(e.agent).includes('careledger-claim-evidence-offline'))).toHaveLength(1);
    } finally {
      offline.close();
    }
    const missing = await runCli(['claim', 'evidence', 'no-such-claim', '--out', out], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/Claim\/no-such-claim: not found in /);
  });
});
