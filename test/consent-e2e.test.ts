// Patient consent across institutions, end to end on the local consortium: one embedded chain and
// three hospital node processes (hospital-1 = A serves the data, hospital-2 = B's practitioner
// reads, hospital-3 = C holds the EMERGENCY role), real HTTP, real SQLite, real anvil.
// The its run in order and build on each other, like the story they tell.

import Database from 'better-sqlite3';
import { Contract, JsonRpcProvider, Wallet, type TypedDataField } from 'ethers';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signMemberJwt } from '../gateway/consent/member-jwt.js';
import { loadNodeKeys } from '../gateway/keys/node-keys.js';
import { EvmAnchorPort } from '../gateway/ledger/evm/anchor-port.js';
import { consentRegistryInterface } from '../gateway/ledger/evm/consent-port.js';
import { consortiumRegistryInterface } from '../gateway/ledger/evm/contracts.js';
import { createEvmProvider } from '../gateway/ledger/evm/provider.js';
import { TxSender } from '../gateway/ledger/evm/tx-sender.js';
import type { Hex } from '../gateway/ledger/ports.js';
import type { DevFile } from '../gateway/dev-file.js';
import { verifyReceipt } from '../gateway/receipts/verify.js';
import { startConsortium, type HospitalNode, type RunningConsortium } from '../network/local-consortium.js';
import { postBatch, waitForAnchoring } from './support/fhir-client.js';

// Distinctive values, so the chain scan can look for them byte for byte.
const P = 'clpat-Zq7wy';
const Q = 'clpat-Wk3xv';
const PHI = {
  family: 'Quixwortha',
  given: 'Belvedira',
  mrn: 'MRN-ZX-774411',
  birthDate: '1957-08-23',
  walletFamily: 'Trombleyxx',
  walletMrn: 'MRN-WQ-118822',
  reason: 'unconscious on arrival, suspected anaphylaxis',
};
const IDS = { lab1: 'clobs-Lab-one', lab2: 'clobs-Lab-two', vital: 'clobs-Vital-x', cond: 'clcond-Kq1', qLab: 'clobs-Q-lab' };

const output: string[] = [];

describe('consented cross-institution access on the local consortium', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'careledger-consent-e2e-'));
  let consortium: RunningConsortium;
  let A: HospitalNode;
  let B: HospitalNode;
  let C: HospitalNode;
  const dev: Record<string, DevFile> = {};
  let provider: JsonRpcProvider;
  let patientToken: string;
  let firstGrant: Hex;
  let receiptBeforeErasure: { resource: unknown; receipt: unknown };
  let revocationVisibleMs: number;

  beforeAll(async () => {
    consortium = await startConsortium({
      hospitals: 3,
      dataDir,
      basePort: await freeRange(3),
      env: { LOG_LEVEL: 'warn', BATCH_MAX_AGE_MS: '200' },
      onOutput: (orgId, line) => output.push(`[${orgId}] ${line}`),
    });
    [A, B, C] = consortium.hospitals as [HospitalNode, HospitalNode, HospitalNode];
    // A node answers /health before it writes dev.json.
    for (const h of consortium.hospitals) {
      for (const deadline = Date.now() + 20_000; !existsSync(join(h.dataDir, 'dev.json')) && Date.now() < deadline; ) await sleep(50);
      dev[h.orgId] = JSON.parse(readFileSync(join(h.dataDir, 'dev.json'), 'utf8')) as DevFile;
    }
    provider = createEvmProvider({ rpcUrl: consortium.rpcUrl, chainId: consortium.chainId, pollingIntervalMs: 50 });

    // The consortium votes the EMERGENCY role to C: C proposes, A, B and the licensing board
    // approve (4 of 6 members: 3 hospitals, the researcher, the licensing board, the payer).
    const vote = async (h: Pick<HospitalNode, 'dataDir'>, data: string) => {
      const wallet = loadNodeKeys({ dataDir: h.dataDir, allowGenerate: false }).memberWallet.connect(provider);
      await new TxSender(wallet, provider, consortium.chainId, { gasPrice: 0n, confirmTimeoutMs: 30_000 }).send(consortium.contracts.ConsortiumRegistry!, data);
    };
    await vote(C, consortiumRegistryInterface.encodeFunctionData('proposeGrantRole', [C.memberId, 16]));
    const proposalId = await new Contract(consortium.contracts.ConsortiumRegistry!, consortiumRegistryInterface, provider).getFunction('proposalCount')();
    await vote(A, consortiumRegistryInterface.encodeFunctionData('approve', [proposalId]));
    await vote(B, consortiumRegistryInterface.encodeFunctionData('approve', [proposalId]));
    await vote(consortium.licensingBoard, consortiumRegistryInterface.encodeFunctionData('approve', [proposalId]));

    const loaded = await postBatch({ fhirBase: `${A.fhirBase}/R4`, token: staff(A) }, clinicalData(), `${A.fhirBase}/R4`);
    expect(loaded.entryStatus.every((s) => /^20[01]/.test(s)), loaded.entryStatus.join()).toBe(true);
    // Member tokens name only practitioners their own hospital holds (active Practitioner resources).
    for (const h of [B, C]) {
      for (const id of ['dr-bob', 'dr-eve', 'dr-any', 'dr-carol']) {
        const put = await api(h, 'PUT', `/fhir/Practitioner/${id}`, staff(h), { resourceType: 'Practitioner', id, active: true });
        expect(put.status, JSON.stringify(put.body)).toBe(201);
      }
    }
  }, 120_000);

  afterAll(async (context) => {
    if (context.tasks?.some?.((t: { result?: { state?: string } }) => t.result?.state === 'fail')) console.log(output.join('\n'));
    provider?.destroy();
    await consortium?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const staff = (h: HospitalNode) => dev[h.orgId]!.token;

  /** B's practitioner (or another member's) asks its own node for a member JWT addressed to A. */
  async function memberToken(from: HospitalNode, practitioner: string, purpose = 'TREAT', breakGlassReason?: string): Promise<string> {
    const body = { practitioner, audience: A.baseUrl, purpose, ...(breakGlassReason !== undefined ? { break_glass_reason: breakGlassReason } : {}) };
    const response = await api(from, 'POST', '/consent/member-token', staff(from), body);
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    return response.body.token as string;
  }

  async function readAtA(from: HospitalNode, path: string, practitioner = 'dr-bob', purpose = 'TREAT', reason?: string) {
    const token = await memberToken(from, practitioner, purpose, reason);
    const response = await fetch(`${A.fhirBase}/${path}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: response.status, body: (await response.json()) as any };
  }

  it('refuses a member read while no consent exists, with an OperationOutcome', async () => {
    const denied = await readAtA(B, `Observation/${IDS.lab1}`);
    expect(denied.status).toBe(403);
    expect(denied.body.resourceType).toBe('OperationOutcome');
    // Members cannot write, even with a valid JWT.
    const token = await memberToken(B, 'dr-bob');
    const write = await fetch(`${A.fhirBase}/Observation/${IDS.lab1}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(write.status).toBe(403);
    // A forged member JWT (signed by a key that is no member's) is a 401.
    const forged = await fetch(`${A.fhirBase}/Observation/${IDS.lab1}`, { headers: { authorization: `Bearer ${forgedJwt(A.baseUrl)}` } });
    expect(forged.status).toBe(401);
  });

  it('records a custodial consent after an authenticated patient action, and serves only what it covers', async () => {
    const session = await api(A, 'POST', `/consent/patients/${P}/session`, staff(A));
    expect(session.status).toBe(200);
    patientToken = session.body.access_token;

    const granted = await api(A, 'POST', `/consent/patients/${P}/consents`, patientToken, {
      grantee: { orgId: B.orgId, practitioner: 'dr-bob' },
      actions: ['access'],
      categories: ['Observation:laboratory', 'Patient'],
      purposes: ['TREAT'],
      notAfter: nowSeconds() + 3600,
    });
    expect(granted.status, JSON.stringify(granted.body)).toBe(201);
    firstGrant = granted.body.grantId;
    expect(granted.body.consent.resourceType).toBe('Consent');
    expect(granted.body.consent.status).toBe('active');

    expect((await readAtA(B, `Observation/${IDS.lab1}`)).status).toBe(200);
    expect((await readAtA(B, `Patient/${P}`)).status).toBe(200);
    const search = await readAtA(B, `Observation?patient=Patient/${P}`);
    expect(search.status).toBe(200);
    expect(search.body.total).toBe(2);
    expect(search.body.entry.map((e: any) => e.resource.id).sort()).toEqual([IDS.lab1, IDS.lab2].sort());

    // Uncovered category, another purpose, another practitioner, another member: refused.
    const vital = await readAtA(B, `Observation/${IDS.vital}`);
    expect(vital.status).toBe(403);
    expect(vital.body.issue[0].details.text).toMatch(/category/);
    expect((await readAtA(B, `Condition/${IDS.cond}`)).status).toBe(403);
    const payment = await readAtA(B, `Observation/${IDS.lab1}`, 'dr-bob', 'HPAYMT');
    expect(payment.status).toBe(403);
    expect(payment.body.issue[0].details.text).toMatch(/purpose/);
    expect((await readAtA(B, `Observation/${IDS.lab1}`, 'dr-eve')).status).toBe(403);
    expect((await readAtA(C, `Observation/${IDS.lab1}`)).status).toBe(403);
    expect((await readAtA(B, `Condition?patient=Patient/${P}`)).status).toBe(403);
    expect((await readAtA(B, 'Observation')).status).toBe(403);
  });

  it('stops serving a grant once it expires', async () => {
    const granted = await api(A, 'POST', `/consent/patients/${P}/consents`, patientToken, {
      grantee: { orgId: B.orgId },
      actions: ['access'],
      categories: ['Condition'],
      purposes: ['TREAT'],
      notAfter: nowSeconds() + 4,
    });
    expect(granted.status, JSON.stringify(granted.body)).toBe(201);
    expect((await readAtA(B, `Condition/${IDS.cond}`, 'dr-any')).status).toBe(200);
    await sleep(Math.max(0, (granted.body.consent.period ? Date.parse(granted.body.consent.period.end) : 0) - Date.now()) + 300);
    const expired = await readAtA(B, `Condition/${IDS.cond}`, 'dr-any');
    expect(expired.status).toBe(403);
    expect(expired.body.issue[0].details.text).toMatch(/expired/);
  });

  it('revokes a custodial grant through the patient API', async () => {
    const revoked = await api(A, 'POST', `/consent/patients/${P}/consents/${firstGrant}/revoke`, patientToken, {});
    expect(revoked.status, JSON.stringify(revoked.body)).toBe(200);
    const after = await readAtA(B, `Observation/${IDS.lab1}`);
    expect(after.status).toBe(403);
    expect(after.body.issue[0].details.text).toMatch(/revoked/);
    const list = await api(A, 'GET', `/consent/patients/${P}/consents`, patientToken);
    const statuses = Object.fromEntries(list.body.grants.map((g: any) => [g.grantId, g.status]));
    expect(statuses[firstGrant]).toBe('revoked');
    expect(Object.values(statuses)).toContain('expired');
    expect(list.body.grants.find((g: any) => g.grantId === firstGrant).scope.categories).toEqual(['Observation:laboratory', 'Patient']);
  });

  it('rejects forged, tampered and replayed wallet consents; a wallet revocation on chain is honoured within one block + 2 s', async () => {
    const wallet = new Wallet(Wallet.createRandom().privateKey);
    const other = new Wallet(Wallet.createRandom().privateKey);
    const qSession = (await api(A, 'POST', `/consent/patients/${Q}/session`, staff(A))).body.access_token as string;
    // A patient token acts for its own patient only.
    expect((await api(A, 'GET', `/consent/patients/${P}/consents`, qSession)).status).toBe(403);
    expect((await api(A, 'GET', `/consent/patients/${Q}/consents`, 'clp_unknown')).status).toBe(401);
    const statement = (await api(A, 'GET', `/consent/patients/${Q}/wallet-link-statement?address=${wallet.address}`, qSession)).body.statement;
    // Linking a wallet is a staff act (system/Patient.$link-wallet, which the dev token holds), not the patient session's.
    const link = { address: wallet.address, signature: await wallet.signMessage(statement) };
    expect((await api(A, 'POST', `/consent/patients/${Q}/wallet`, qSession, link)).status).toBe(403);
    const linked = await api(A, 'POST', `/consent/patients/${Q}/wallet`, staff(A), link);
    expect(linked.status, JSON.stringify(linked.body)).toBe(201);

    const terms = { grantee: { orgId: B.orgId }, actions: ['access'], categories: ['Observation'], purposes: ['TREAT'], notAfter: nowSeconds() + 3600 };
    const request = (await api(A, 'POST', `/consent/patients/${Q}/consent-requests`, qSession, terms)).body;
    const sign = (signer: Wallet) => signer.signTypedData(request.domain, request.types as Record<string, TypedDataField[]>, request.message);
    const submit = (body: object) => api(A, 'POST', `/consent/patients/${Q}/consents`, qSession, body);
    const signed = { ...terms, notBefore: request.message.notBefore, nonce: request.message.nonce };

    const forged = await submit({ ...signed, signature: await sign(other) });
    expect(forged.status).toBe(400);
    const tampered = await submit({ ...signed, categories: ['Observation', 'Condition'], signature: await sign(wallet) });
    expect(tampered.status).toBe(400);
    const signature = await sign(wallet);
    const ok = await submit({ ...signed, signature });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    const replayed = await submit({ ...signed, signature });
    expect(replayed.status).toBe(409);
    const grantId = ok.body.grantId as Hex;
    expect((await readAtA(B, `Observation/${IDS.qLab}`)).status).toBe(200);

    // The patient revokes from their own address, straight on chain: no hospital involved.
    const registry = new Contract(consortium.contracts.ConsentRegistry!, consentRegistryInterface, wallet.connect(provider));
    const tx = await registry.getFunction('revoke')(grantId, { gasPrice: 0, type: 0 });
    await tx.wait();
    const minedAt = Date.now();
    const seenBy = await Promise.all(
      consortium.hospitals.map(async (h) => {
        for (;;) {
          const status = await api(h, 'GET', `/consent/grants/${grantId}`, staff(h));
          if (status.status === 200 && status.body.revokedAt !== null) return Date.now() - minedAt;
          if (Date.now() - minedAt > 10_000) throw new Error(`${h.orgId} never saw the revocation`);
          await sleep(20);
        }
      }),
    );
    revocationVisibleMs = Math.max(...seenBy);
    console.log(`revocation visible on all ${seenBy.length} nodes after ${revocationVisibleMs} ms (per node: ${seenBy.join(', ')} ms)`);
    expect(revocationVisibleMs).toBeLessThan(2_000);
    expect((await readAtA(B, `Observation/${IDS.qLab}`)).status).toBe(403);
  });

  it('allows break-glass only for the EMERGENCY role with a reason, logs it on chain and shows it to the patient', async () => {
    expect((await readAtA(B, `Observation/${IDS.vital}`, 'dr-bob', 'ETREAT', PHI.reason)).status).toBe(403);
    // A blank reason never makes it into a token: C's own node refuses to mint it.
    const blank = await api(C, 'POST', '/consent/member-token', staff(C), { practitioner: 'dr-carol', audience: A.baseUrl, purpose: 'ETREAT', break_glass_reason: '  ' });
    expect(blank.status).toBe(400);
    const glass = await readAtA(C, `Observation/${IDS.vital}`, 'dr-carol', 'ETREAT', PHI.reason);
    expect(glass.status).toBe(200);
    expect(glass.body.id).toBe(IDS.vital);

    let accesses: any[] = [];
    for (const deadline = Date.now() + 15_000; ; ) {
      accesses = (await api(A, 'GET', `/consent/patients/${P}/accesses`, patientToken)).body.accesses;
      const emergency = accesses.find((a) => a.breakGlass);
      if (emergency?.emergencyTx) break;
      if (Date.now() > deadline) throw new Error('the break-glass access never reached the chain');
      await sleep(200);
    }
    const emergency = accesses.find((a) => a.breakGlass);
    expect(emergency.outcome).toBe('allowed');
    const logs = await provider.getLogs({ address: consortium.contracts.ConsentRegistry!, fromBlock: 0, toBlock: 'latest' });
    const events = logs.map((log) => consentRegistryInterface.parseLog(log)!).filter((e) => e.name === 'EmergencyAccessed');
    expect(events).toHaveLength(1);
    expect(events[0]!.args.accessor).toBe(C.memberId);
    expect(events[0]!.args.servingMember).toBe(A.memberId);

    // Every access, allowed or refused, is in the patient's list, and each gets an anchored receipt.
    expect(accesses.filter((a) => a.outcome === 'allowed').length).toBeGreaterThanOrEqual(4);
    expect(accesses.filter((a) => a.outcome === 'denied').length).toBeGreaterThanOrEqual(8);
    await waitForAnchoring(A.baseUrl);
    accesses = (await api(A, 'GET', `/consent/patients/${P}/accesses`, patientToken)).body.accesses;
    expect(accesses.every((a) => a.receipt !== null)).toBe(true);
    const lookup = EvmAnchorPort.reader(consortium.contracts.AnchorRegistry as Hex, consortium.chainId, provider);
    const verified = await verifyReceipt(emergency.auditEvent, accesses.find((a) => a.reference === emergency.reference).receipt, (m, s) => lookup.getAnchor(m, s));
    expect(verified.valid).toBe(true);
  });

  it('crypto-shreds the patient on erasure: reads fail, no readable copy, old receipts still verify', async () => {
    const observation = (await api(A, 'GET', `/fhir/Observation/${IDS.lab1}`, staff(A))).body;
    const receipt = await api(A, 'GET', `/fhir/Observation/${IDS.lab1}/_history/1/$receipt`, staff(A));
    expect(receipt.status).toBe(200);
    receiptBeforeErasure = { resource: observation, receipt: receipt.body };

    // Erasure is a staff act under its own scope (the dev token holds system/Patient.$erase), with a reason.
    expect((await api(A, 'POST', `/consent/patients/${P}/erase`, patientToken, { reason: 'patient request, form ER-1 on file' })).status).toBe(403);
    const erased = await api(A, 'POST', `/consent/patients/${P}/erase`, staff(A), { reason: 'patient request, form ER-1 on file' });
    expect(erased.status, JSON.stringify(erased.body)).toBe(200);
    expect(erased.body.auditEvent).toMatch(/^AuditEvent\//);

    expect((await api(A, 'GET', `/fhir/Observation/${IDS.lab1}`, staff(A))).status).toBe(410);
    expect((await api(A, 'GET', `/fhir/Patient/${P}`, staff(A))).status).toBe(410);
    expect((await readAtA(C, `Observation/${IDS.lab1}`, 'dr-carol', 'ETREAT', PHI.reason)).status).toBe(410);
    const search = await api(A, 'GET', `/fhir/Patient?identifier=${PHI.mrn}`, staff(A));
    expect(search.body.total).toBe(0);

    const db = new Database(join(A.dataDir, 'careledger.db'), { readonly: true });
    try {
      const key = db.prepare('SELECT wrapped, shredded_at FROM data_keys WHERE compartment = ?').get(`Patient/${P}`) as any;
      expect(key.wrapped).toBeNull();
      expect(key.shredded_at).not.toBeNull();
      expect(db.prepare('SELECT count(*) AS n FROM consent_patients WHERE patient_id = ?').get(P)).toEqual({ n: 0 });
      // Nothing of the patient in the clear anywhere in the database file's tables.
      for (const { name } of db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]) {
        for (const row of db.prepare(`SELECT * FROM "${name}"`).all() as Record<string, unknown>[]) {
          const text = Object.values(row)
            .map((v) => (Buffer.isBuffer(v) ? v.toString('latin1') : String(v)))
            .join('\u0000');
          for (const value of [PHI.family, PHI.given, PHI.mrn, PHI.birthDate, PHI.reason]) expect(text.includes(value), `${value} in ${name}`).toBe(false);
        }
      }
    } finally {
      db.close();
    }

    await waitForAnchoring(A.baseUrl);
    const lookup = EvmAnchorPort.reader(consortium.contracts.AnchorRegistry as Hex, consortium.chainId, provider);
    const verified = await verifyReceipt(receiptBeforeErasure.resource, receiptBeforeErasure.receipt, (m, s) => lookup.getAnchor(m, s));
    expect(verified.valid).toBe(true);
  });

  it('leaves no PHI, MRN, resource id or reason text on chain', async () => {
    const needles = [...Object.values(PHI), P, Q, ...Object.values(IDS), 'dr-bob', 'dr-carol', 'dr-eve'];
    const latest = await provider.getBlockNumber();
    let scanned = 0;
    for (let n = 0; n <= latest; n++) {
      const block = await provider.getBlock(n, true);
      for (const tx of block!.prefetchedTransactions) {
        const receipt = await provider.getTransactionReceipt(tx.hash);
        const blobs = [tx.data, ...receipt!.logs.flatMap((log) => [log.data, ...log.topics])];
        for (const blob of blobs) {
          const bytes = Buffer.from(blob.slice(2), 'hex');
          const hex = blob.toLowerCase();
          for (const needle of needles) {
            expect(bytes.includes(Buffer.from(needle, 'utf8')), `${needle} as UTF-8 in tx ${tx.hash}`).toBe(false);
            expect(hex.includes(Buffer.from(needle, 'utf8').toString('hex')), `${needle} as hex in tx ${tx.hash}`).toBe(false);
            expect(hex.includes(needle.toLowerCase()), `${needle} in the hex of tx ${tx.hash}`).toBe(false);
          }
        }
        scanned++;
      }
    }
    expect(scanned).toBeGreaterThan(10);
    console.log(`scanned ${scanned} transactions in ${latest + 1} blocks: no PHI; revocation visible after ${revocationVisibleMs} ms`);
  });
});

function clinicalData() {
  const observation = (id: string, patient: string, category: string, code: string, value: number) => ({
    resourceType: 'Observation',
    id,
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: category }] }],
    code: { coding: [{ system: 'http://loinc.org', code }] },
    subject: { reference: `Patient/${patient}` },
    effectiveDateTime: '2024-05-01T10:00:00Z',
    valueQuantity: { value, unit: '%', system: 'http://unitsofmeasure.org', code: '%' },
  });
  return [
    {
      resourceType: 'Patient',
      id: P,
      identifier: [{ system: 'urn:oid:2.16.840.1.113883.19.5', value: PHI.mrn }],
      name: [{ family: PHI.family, given: [PHI.given] }],
      gender: 'female',
      birthDate: PHI.birthDate,
    },
    {
      resourceType: 'Patient',
      id: Q,
      identifier: [{ system: 'urn:oid:2.16.840.1.113883.19.5', value: PHI.walletMrn }],
      name: [{ family: PHI.walletFamily }],
      gender: 'male',
      birthDate: '1970-01-01',
    },
    observation(IDS.lab1, P, 'laboratory', '4548-4', 6.1),
    observation(IDS.lab2, P, 'laboratory', '4548-4', 6.4),
    observation(IDS.vital, P, 'vital-signs', '39156-5', 24.2),
    observation(IDS.qLab, Q, 'laboratory', '4548-4', 5.2),
    {
      resourceType: 'Condition',
      id: IDS.cond,
      clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
      code: { coding: [{ system: 'http://snomed.info/sct', code: '44054006' }] },
      subject: { reference: `Patient/${P}` },
    },
  ];
}

async function api(h: HospitalNode, method: string, path: string, token: string, body?: unknown) {
  const response = await fetch(`${h.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as any) : undefined };
}

/** Well signed, but by a key no member registered. */
function forgedJwt(audience: string): string {
  const now = nowSeconds();
  return signMemberJwt(Wallet.createRandom().privateKey, {
    iss: 'hospital-2',
    sub: 'dr-bob',
    aud: audience,
    iat: now,
    exp: now + 60,
    jti: 'forged-jti-0001',
    purpose: 'TREAT',
  });
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A base port with `count` consecutive free ports after it. */
async function freeRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    const free = await Promise.all(Array.from({ length: count }, (_, i) => isFree(base + i)));
    if (free.every(Boolean)) return base;
  }
  throw new Error('no free port range');
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
