// Zero-knowledge cohort queries end to end on the local consortium: one embedded chain, three
// hospital node processes and a researcher node process, real HTTP, real SQLite, real anvil,
// real Groth16 proofs from the committed circuit artifacts. The its run in order.
//
// Data: generated patients (with Conditions and HbA1c) in every hospital, plus the synthea-10
// patients and their Conditions split among the hospitals when ../shared/data/synthea-10 exists.
// Sizes keep every hospital at one or two chunks of 16, so proving stays around a minute.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshDevToken } from '../gateway/auth/dev-client.js';
import { compileCriteria, criteriaHash, evaluateCriteria, type CohortCriteria } from '../gateway/cohort/criteria.js';
import { extractFeatures, type ConditionLike, type ObservationLike, type PatientLike } from '../gateway/cohort/features.js';
import { loadPoseidon, type PoseidonHash } from '../gateway/cohort/poseidon.js';
import { loadNodeKeys } from '../gateway/keys/node-keys.js';
import { CohortRejectedError } from '../gateway/ledger/cohort-errors.js';
import { EvmCohortPort } from '../gateway/ledger/evm/cohort-port.js';
import { createEvmProvider } from '../gateway/ledger/evm/provider.js';
import { TxSender } from '../gateway/ledger/evm/tx-sender.js';
import type { CohortAnswerProofs, Hex } from '../gateway/ledger/ports.js';
import { startConsortium, type HospitalNode, type RunningConsortium } from '../network/local-consortium.js';
import { findOnChain, readChainContent } from './support/chain-scan.js';
import { postBatch } from './support/fhir-client.js';
import { startNodeProcess, type NodeProcess } from './support/node-process.js';
import { syntheticR4, type SyntheticResource } from './support/synthetic-fhir.js';

const ROOT = resolve(import.meta.dirname, '..');
const SYNTHEA = join(ROOT, '../shared/data/synthea-10');
const SNOMED = 'http://snomed.info/sct';
const T2DM = { system: SNOMED, code: '44054006' };
const HYPERTENSION = { system: SNOMED, code: '59621000' };
const PREDIABETES = { system: SNOMED, code: '15777000' };
const QUERY: CohortCriteria = [
  { ageAtDateBetween: { date: '2025-01-01', min: 18, max: 110 } },
  { hasAnyDiagnosis: [T2DM, HYPERTENSION, PREDIABETES] },
];
const TRIAL: CohortCriteria = [{ field: 'hba1c', op: 'gte', value: 6.5 }, { hasAnyDiagnosis: [T2DM] }];
const MIN_CELL = 10;
/** Generated patients per hospital and how many of them get a matching diagnosis. */
const GENERATED = [
  { patients: 11, matching: 10 },
  { patients: 18, matching: 11 },
  { patients: 6, matching: 3 },
];

const output: string[] = [];
type R = SyntheticResource;

describe('zero-knowledge cohort queries on the local consortium', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'careledger-cohort-e2e-'));
  let consortium: RunningConsortium;
  let researcherNode: NodeProcess;
  let hospitals: HospitalNode[];
  let hash: PoseidonHash;
  const data: R[][] = [[], [], []];
  const phi: string[] = [];
  let queryId: string;
  let answers: Array<{ member: Hex; orgId: string; releasedCount: number; belowMinimum: boolean; verifiedOffChain: boolean; txHash: Hex; epoch: string }>;

  beforeAll(async () => {
    hash = await loadPoseidon();
    consortium = await startConsortium({
      hospitals: 3,
      dataDir,
      basePort: await freeRange(3),
      env: { LOG_LEVEL: 'info', BATCH_MAX_AGE_MS: '200' },
      onOutput: (orgId, line) => output.push(`[${orgId}] ${line}`),
    });
    hospitals = consortium.hospitals;
    for (const h of hospitals) {
      for (const deadline = Date.now() + 20_000; !existsSync(join(h.dataDir, 'dev.json')) && Date.now() < deadline; ) await sleep(50);
    }
    researcherNode = await startNodeProcess({
      dataDir: consortium.researcher.dataDir,
      env: {
        CARELEDGER_MODE: 'dev',
        CARELEDGER_ORG_ID: consortium.researcher.orgId,
        CHAIN_RPC_URL: consortium.rpcUrl,
        CHAIN_ID: String(consortium.chainId),
        CHAIN_CONTRACTS: JSON.stringify(consortium.contracts),
      },
    });

    GENERATED.forEach((shape, i) => data[i]!.push(...generatedPatients(`cq${i + 1}`, shape.patients, shape.matching, 100 + i)));
    if (existsSync(SYNTHEA)) {
      const patients = ndjson(join(SYNTHEA, 'Patient.000.ndjson'));
      const conditions = ndjson(join(SYNTHEA, 'Condition.000.ndjson'));
      patients.forEach((patient, i) => {
        const target = data[i % 3]!;
        target.push(patient, ...conditions.filter((c) => (c.subject as { reference: string }).reference === `Patient/${patient.id}`));
        phi.push(patient.id, ...((patient.name as { family?: string }[] | undefined) ?? []).flatMap((n) => (n.family ? [n.family] : [])));
      });
    } else {
      console.warn(`${SYNTHEA} is absent: the cohort test runs on generated patients only`);
    }
    for (const [i, h] of hospitals.entries()) {
      const token = (await refreshDevToken(h.dataDir)).accessToken;
      const loaded = await postBatch({ fhirBase: `${h.fhirBase}/R4`, token }, data[i]!, `${h.fhirBase}/R4`);
      expect(loaded.entryStatus.every((s) => /^20[01]/.test(s)), loaded.entryStatus.filter((s) => !/^20[01]/.test(s)).join()).toBe(true);
    }
  }, 180_000);

  afterAll(async (context) => {
    if (context.tasks?.some?.((t: { result?: { state?: string } }) => t.result?.state === 'fail')) console.log(output.join('\n'), researcherNode?.output());
    await researcherNode?.kill('SIGTERM');
    await consortium?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** The plain TypeScript count: features from the same R4 resources, the reference evaluator. */
  function expectedCount(resources: R[]): number {
    const patients = resources.filter((r) => r.resourceType === 'Patient');
    return patients.filter((patient) => {
      const reference = `Patient/${patient.id}`;
      const of = (type: string) => resources.filter((r) => r.resourceType === type && (r.subject as { reference?: string } | undefined)?.reference === reference);
      const record = extractFeatures(
        { patient: patient as unknown as PatientLike, conditions: of('Condition') as unknown as ConditionLike[], observations: of('Observation') as unknown as ObservationLike[] },
        0n,
      );
      return evaluateCriteria(record, QUERY);
    }).length;
  }

  it('answers a researcher query from every hospital with counts equal to a plain count, verified on and off chain', async () => {
    const criteriaFile = join(dataDir, 'criteria.json');
    writeFileSync(criteriaFile, JSON.stringify(QUERY));
    const started = Date.now();
    const cli = await careledger(['cohort', 'query', '--criteria', criteriaFile, '--min-cell', String(MIN_CELL), '--wait', '--timeout', '240', '--json'], {
      DATA_DIR: consortium.researcher.dataDir,
    });
    expect(cli.code, cli.stderr).toBe(0);
    const result = JSON.parse(cli.stdout) as { queryId: string; answers: typeof answers };
    console.info(`cohort query answered by ${result.answers.length} hospitals in ${((Date.now() - started) / 1000).toFixed(1)} s (posting, proving, verifying)`);
    queryId = result.queryId;
    answers = result.answers;
    expect(answers).toHaveLength(3);
    for (const [i, h] of hospitals.entries()) {
      const answer = answers.find((a) => a.orgId === h.orgId)!;
      const expected = expectedCount(data[i]!);
      expect(answer.verifiedOffChain, `${h.orgId} offline verification`).toBe(true);
      if (expected >= MIN_CELL) expect([answer.releasedCount, answer.belowMinimum]).toEqual([expected, false]);
      else expect([answer.releasedCount, answer.belowMinimum]).toEqual([0, true]);
    }
    expect(expectedCount(data[0]!)).toBeGreaterThanOrEqual(MIN_CELL);
    expect(expectedCount(data[2]!)).toBeLessThan(MIN_CELL);
    expect(answers.find((a) => a.orgId === hospitals[2]!.orgId)!.belowMinimum).toBe(true);
    const gas = await Promise.all(answers.map(async (a) => (await provider().getTransactionReceipt(a.txHash))!.gasUsed));
    console.info(`postAnswer gas: ${answers.map((a, i) => `${a.orgId} ${gas[i]}`).join(', ')}`);
  }, 300_000);

  it('serves the same audited results over HTTP, and refuses to post a query for a non-researcher node', async () => {
    const results = await api(researcherNode.baseUrl, consortium.researcher.dataDir, 'GET', `/cohort/queries/${queryId}`);
    expect(results.status, JSON.stringify(results.body)).toBe(200);
    expect(results.body.criteria).toEqual(QUERY);
    expect(results.body.answers.map((a: any) => [a.member, a.releasedCount, a.belowMinimum, a.verifiedOnChain, a.verifiedOffChain]).sort()).toEqual(
      answers.map((a) => [a.member, a.releasedCount, a.belowMinimum, true, true]).sort(),
    );
    const refused = await api(hospitals[0]!.baseUrl, hospitals[0]!.dataDir, 'POST', '/cohort/queries', { criteria: QUERY });
    expect(refused.status).toBe(403);
    expect(refused.body.resourceType).toBe('OperationOutcome');
    const unknown = await api(researcherNode.baseUrl, consortium.researcher.dataDir, 'GET', '/cohort/queries/999');
    expect(unknown.status).toBe(404);
  });

  it('rejects tampered answers on chain: a changed count, swapped criteria, proofs over another root', { timeout: 120_000 }, async () => {
    const first = answers.find((a) => a.orgId === hospitals[0]!.orgId)!;
    const reader = new EvmCohortPort(consortium.contracts.CohortRegistry!, consortium.chainId, provider(), null);
    const proofs: CohortAnswerProofs = await reader.answerProofs(first.txHash);
    // Queries whose posted document does not match their hash: the hospitals' workers skip them,
    // so only the tampered submissions below reach them.
    const researcher = portAs(consortium.researcher.dataDir);
    const deadline = (await provider().getBlock('latest'))!.timestamp + 3600;
    const same = await researcher.postQuery(criteriaHash(hash, compileCriteria(QUERY)), MIN_CELL, deadline, '"skip"');
    const other = await researcher.postQuery(criteriaHash(hash, compileCriteria(TRIAL)), MIN_CELL, deadline, '"skip"');
    const asHospital = portAs(hospitals[0]!.dataDir);
    const refusal = async (action: Promise<unknown>) => {
      const error = await action.then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(CohortRejectedError);
      return (error as CohortRejectedError).reason;
    };
    const changedCount = { ...proofs.release, signals: [proofs.release.signals[0]! + 1n, ...proofs.release.signals.slice(1)] };
    expect(await refusal(asHospital.postAnswer(same.queryId, proofs.epoch, proofs.chunks, changedCount))).toBe('InvalidReleaseProof');
    expect(await refusal(asHospital.postAnswer(other.queryId, proofs.epoch, proofs.chunks, proofs.release))).toBe('CriteriaMismatch');
    // hospital-3 has one chunk too: hospital-1's proofs are over roots hospital-3 never committed.
    const third = answers.find((a) => a.orgId === hospitals[2]!.orgId)!;
    expect(await refusal(portAs(hospitals[2]!.dataDir).postAnswer(same.queryId, BigInt(third.epoch), proofs.chunks, proofs.release))).toBe('ChunkRootsMismatch');
    // The untampered answer is accepted: what was refused was the tampering.
    const accepted = await asHospital.postAnswer(same.queryId, proofs.epoch, proofs.chunks, proofs.release);
    expect(accepted.releasedCount).toBe(first.releasedCount);
  });

  it('proves a patient eligible for a trial without revealing the record, accepts it once, then refuses the nullifier', async () => {
    const hospital = hospitals[0]!;
    const trial = 'NCT-CL-0042';
    const registered = await api(hospital.baseUrl, hospital.dataDir, 'POST', '/cohort/trials', { trial, criteria: TRIAL });
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    const eligible = data[0]!.find((r) => r.resourceType === 'Patient' && qualifies(data[0]!, r.id, TRIAL))!;
    const criteriaFile = join(dataDir, 'trial.json');
    writeFileSync(criteriaFile, JSON.stringify(TRIAL));
    const proofFile = join(dataDir, 'proof.json');
    const proved = await careledger(['prove-eligibility', '--patient', eligible.id, '--trial', trial, '--criteria', criteriaFile, '--out', proofFile], {
      DATA_DIR: hospital.dataDir,
    });
    expect(proved.code, proved.stderr).toBe(0);
    const document = JSON.parse(readFileSync(proofFile, 'utf8'));
    expect(JSON.stringify(document)).not.toContain(eligible.id);

    const offline = await careledger(['verify-eligibility', '--proof', proofFile], { DATA_DIR: consortium.researcher.dataDir });
    expect(offline.stdout, offline.stderr).toMatch(/^valid:/);
    // Another member (hospital-2's node) accepts it on chain: verified by the contract, nullifier spent.
    const accepted = await api(hospitals[1]!.baseUrl, hospitals[1]!.dataDir, 'POST', '/cohort/eligibility/verify', document);
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
    expect(accepted.body.nullifier).toBe(document.nullifier);
    console.info(`acceptEligibility gas: ${accepted.body.gasUsed}`);
    const again = await api(hospitals[1]!.baseUrl, hospitals[1]!.dataDir, 'POST', '/cohort/eligibility/verify', document);
    expect(again.status).toBe(409);
    const cliAgain = await careledger(['verify-eligibility', '--proof', proofFile, '--accept'], { DATA_DIR: consortium.researcher.dataDir });
    expect([cliAgain.code, cliAgain.stdout.trim()]).toEqual([1, 'invalid: the patient was already accepted in this trial (nullifier spent)']);

    const ineligible = data[0]!.find((r) => r.resourceType === 'Patient' && !qualifies(data[0]!, r.id, TRIAL))!;
    const refused = await api(hospital.baseUrl, hospital.dataDir, 'POST', '/cohort/eligibility/proofs', { patient: ineligible.id, trial, criteria: TRIAL });
    expect(refused.status).toBe(400);
  }, 180_000);

  it('follows a query posted over HTTP by the researcher node to its verified answers', async () => {
    const posted = await api(researcherNode.baseUrl, consortium.researcher.dataDir, 'POST', '/cohort/queries', { criteria: QUERY, minCellSize: 11 });
    expect(posted.status, JSON.stringify(posted.body)).toBe(201);
    let results: any;
    for (const deadline = Date.now() + 240_000; Date.now() < deadline; await sleep(1000)) {
      results = (await api(researcherNode.baseUrl, consortium.researcher.dataDir, 'GET', `/cohort/queries/${posted.body.queryId}`)).body;
      if (results.answers.length === 3) break;
    }
    expect(results.answers).toHaveLength(3);
    for (const [i, h] of hospitals.entries()) {
      const answer = results.answers.find((a: any) => a.member === h.memberId);
      const expected = expectedCount(data[i]!);
      expect(answer.verifiedOffChain).toBe(true);
      expect(answer.releasedCount).toBe(expected >= 11 ? expected : 0);
    }
  }, 300_000);

  it('keeps the chain free of patient identifiers and names', async () => {
    const content = await readChainContent(consortium.rpcUrl);
    const needles = [...phi, ...data.flat().filter((r) => r.resourceType === 'Patient').flatMap((p) => [p.id, ...names(p)])];
    expect(findOnChain(content, needles)).toEqual([]);
  });

  let cachedProvider: ReturnType<typeof createEvmProvider> | undefined;
  function provider() {
    cachedProvider ??= createEvmProvider({ rpcUrl: consortium.rpcUrl, chainId: consortium.chainId, pollingIntervalMs: 100 });
    return cachedProvider;
  }
  afterAll(() => cachedProvider?.destroy());

  /** A port signing with a member's key from its data dir (tampering needs the member's own key). */
  function portAs(memberDataDir: string): EvmCohortPort {
    const wallet = loadNodeKeys({ dataDir: memberDataDir, allowGenerate: false }).memberWallet.connect(provider());
    return new EvmCohortPort(consortium.contracts.CohortRegistry!, consortium.chainId, provider(), new TxSender(wallet, provider(), consortium.chainId, { gasPrice: 0n, confirmTimeoutMs: 30_000 }));
  }

  function qualifies(resources: R[], patientId: string, criteria: CohortCriteria): boolean {
    const reference = `Patient/${patientId}`;
    const of = (type: string) => resources.filter((r) => r.resourceType === type && (r.subject as { reference?: string } | undefined)?.reference === reference);
    const patient = resources.find((r) => r.resourceType === 'Patient' && r.id === patientId)!;
    return evaluateCriteria(
      extractFeatures({ patient: patient as unknown as PatientLike, conditions: of('Condition') as never, observations: of('Observation') as never }, 0n),
      criteria,
    );
  }
});

/** `patients` generated patients (Patient, Encounter, HbA1c/SBP/BMI) of which the first `matching` get a T2DM Condition and a high HbA1c. */
function generatedPatients(prefix: string, patients: number, matching: number, seed: number): R[] {
  const resources = syntheticR4(patients * 5, { seed, prefix, perPatient: 3 });
  const out: R[] = [];
  let n = -1;
  for (const resource of resources) {
    if (resource.resourceType === 'Patient') {
      n++;
      resource.name = [{ family: `Zyqvorth${prefix}${n}`, given: ['Quillane'] }];
    }
    if (resource.resourceType === 'Observation' && n < matching && (resource.code as { coding: { code: string }[] }).coding[0]!.code === '4548-4') {
      (resource.valueQuantity as { value: number }).value = 7.2 + n / 10;
    }
    out.push(resource);
    if (resource.resourceType === 'Patient' && n < matching) {
      out.push({
        resourceType: 'Condition',
        id: `${prefix}-c${n}`,
        clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
        verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed' }] },
        code: { coding: [{ ...T2DM, display: 'Diabetes mellitus type 2' }] },
        subject: { reference: `Patient/${resource.id}` },
        onsetDateTime: '2019-04-02',
      });
    }
  }
  return out;
}

function names(patient: R): string[] {
  return ((patient.name as { family?: string }[] | undefined) ?? []).flatMap((n) => (n.family ? [n.family] : []));
}

function ndjson(path: string): R[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .map((line) => JSON.parse(line) as R);
}

async function api(baseUrl: string, dataDir: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const token = (await refreshDevToken(dataDir)).accessToken;
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

function careledger(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'gateway/cli/main.ts'), ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env, CHAIN_RPC_URL: '', CHAIN_CONTRACTS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (code) => resolveRun({ code: code ?? -1, stdout, stderr }));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freeRange(count: number): Promise<number> {
  for (;;) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    const free = await Promise.all(Array.from({ length: count }, (_, i) => portFree(base + i)));
    if (free.every(Boolean)) return base;
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolveFree) => {
    const server = createServer();
    server.once('error', () => resolveFree(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolveFree(true)));
  });
}
