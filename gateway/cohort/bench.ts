// Measures the cohort proofs on this machine: real Groth16 proving with the committed keys, the gas
// of a real verifyProof transaction on anvil, and what a 10,000-patient query costs.
// Run: npx tsx gateway/cohort/bench.ts
//   BENCH_ZK_PATIENTS=N  also proves a real N-patient query
//   BENCH_ZK_WORKERS=1   also times 2 chunks in 2 worker threads against 2 in sequence (+~40 s)

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Contract, ContractFactory, Wallet } from 'ethers';
import * as snarkjs from 'snarkjs';
import { artifacts as evmArtifacts } from '../../chaincode/evm/artifacts.js';
import { loadManifest } from '../../circuits/build-config.js';
import { randomRecords, T2DM } from '../../circuits/record-fixtures.js';
import { startEmbeddedChain } from '../../network/embedded-chain.js';
import { createEvmProvider } from '../ledger/evm/provider.js';
import { circuitArtifacts, loadVerificationKey } from './artifacts.js';
import { chunkInput, releaseInput, type CircuitInput } from './circuit-inputs.js';
import { CircuitProver, verifyGroth16, type Groth16Result } from './circuit-prover.js';
import { answerCohortQuery } from './cohort-query-prover.js';
import { buildCohortTree, inclusionPath } from './cohort-tree.js';
import { loadCountCommitments } from './count-commitment.js';
import { compileCriteria, criteriaHash, type CohortCriteria } from './criteria.js';
import { diagnosisCodeElement } from './diagnosis-code.js';
import { identityCommitment, proveEligibility } from './eligibility-proof.js';
import { FEATURE_SCHEMA } from './feature-schema.js';
import { loadPoseidon } from './poseidon.js';
import { ProverPool } from './prover-pool.js';
import { recordLeaf } from './record-encoding.js';

export interface ZkBench {
  /** cohort_count constraints / chunk size: per-record cost with the fixed per-chunk part spread over the chunk. */
  constraintsPerRecord: number;
  /** One 16-record chunk, witness + proof, keys in memory; median of 3. */
  chunkProveMs: number;
  eligibilityProveMs: number;
  releaseProveMs: number;
  /** snarkjs verify of a chunk proof, median of 3. */
  verifyMs: number;
  /** gasUsed of a real CohortCountVerifier.verifyProof transaction (21k base and calldata included). */
  gasPerVerification: number;
  /** ceil(10,000 / 16) chunks proved one after another, plus the threshold proof. */
  projected10kQuerySeconds: number;
  /** 2 chunks one after another (snarkjs multi-threaded), median of 3. */
  twoChunksSequentialMs: number;
  /** With BENCH_ZK_WORKERS: the same 2 chunks at once in 2 worker threads (ProverPool), median of 3. */
  twoChunksWorkerThreadsMs?: number;
  /** With BENCH_ZK_WORKERS: the projection with chunks proved 2 at a time in worker threads. */
  projected10kQuerySecondsWorkerThreads?: number;
  measuredQuerySeconds?: number;
  measuredPatients?: number;
}

const QUERY: CohortCriteria = [{ field: 'hba1c', op: 'gte', value: 6.5 }, { ageAtDateBetween: { date: '2025-01-01', min: 18, max: 90 } }];
const PATIENTS = 10_000;
const SECRET = 424242n;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function timeMs(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

/** The first run of each prover pays for JIT and WebAssembly compilation; it is left out. */
async function medianOf3(run: () => Promise<unknown>): Promise<number> {
  await run();
  return median([await timeMs(run), await timeMs(run), await timeMs(run)]);
}

async function verificationGas(proof: Groth16Result): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'careledger-zk-bench-'));
  const chain = await startEmbeddedChain({ dataDir: dir });
  const provider = createEvmProvider({ rpcUrl: chain.rpcUrl, chainId: chain.chainId, pollingIntervalMs: 50 });
  try {
    const signer = new Wallet(chain.accounts[0].privateKey, provider);
    const { abi, bytecode } = evmArtifacts.CohortCountVerifier;
    const verifier = await new ContractFactory(abi as never, bytecode, signer).deploy();
    await verifier.waitForDeployment();
    const args = JSON.parse(`[${await snarkjs.groth16.exportSolidityCallData(proof.proof, proof.publicSignals)}]`);
    const contract = new Contract(await verifier.getAddress(), abi as never, signer);
    if ((await contract.verifyProof.staticCall(...args)) !== true) throw new Error('the deployed CohortCountVerifier refused a valid chunk proof');
    // A fixed gas limit: eth_estimateGas under-reports the pairing precompile and the verifier
    // returns false instead of reverting when short of gas.
    const nonce = (verifier.deploymentTransaction()?.nonce ?? 0) + 1;
    const tx = await signer.sendTransaction({ to: await verifier.getAddress(), data: contract.interface.encodeFunctionData('verifyProof', args), gasLimit: 1_000_000n, nonce });
    return Number((await tx.wait())?.gasUsed ?? 0n);
  } finally {
    provider.destroy();
    await chain.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** `progress` receives one line per finished measurement (the whole run takes about a minute). */
export async function benchZk(progress: (line: string) => void = () => {}): Promise<ZkBench> {
  const [hash, commitments, manifest] = await Promise.all([loadPoseidon(), loadCountCommitments(), loadManifest()]);
  const chunkSize = FEATURE_SCHEMA.tree.chunkSize;
  const compiled = compileCriteria(QUERY);
  const queryHash = criteriaHash(hash, compiled);
  const records = randomRecords(4 * chunkSize, 2025);
  const chunkInputs: CircuitInput[] = [0, 1].map((i) => chunkInput(compiled, queryHash, records.slice(i * chunkSize, (i + 1) * chunkSize), commitments.randomBlinding()));

  const count = new CircuitProver(circuitArtifacts('cohort_count'));
  const release = new CircuitProver(circuitArtifacts('threshold_release'));
  const eligibility = new CircuitProver(circuitArtifacts('eligibility'));

  const single: number[] = [];
  await count.prove(chunkInputs[0]);
  const pairs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    for (const input of chunkInputs) single.push(await timeMs(() => count.prove(input)));
    pairs.push(performance.now() - started);
  }
  const chunkProveMs = median(single);
  progress(`cohort_count: ${single.map((ms) => Math.round(ms)).join(', ')} ms per chunk; pairs ${pairs.map((ms) => Math.round(ms)).join(', ')} ms`);
  const chunkProof = await count.prove(chunkInputs[0]);


  const patient = { ...records[0], salt: identityCommitment(hash, SECRET), diagnoses: [diagnosisCodeElement(T2DM.system, T2DM.code)] };
  const cohort = [patient, ...records.slice(1)];
  const tree = buildCohortTree(hash, cohort.map((r) => recordLeaf(hash, r)));
  const witness = { record: patient, patientSecret: SECRET, path: inclusionPath(hash, tree, 0), root: tree.root, scopeId: 7n };
  const eligibilityProveMs = await medianOf3(() => proveEligibility(hash, eligibility, witness, [{ hasAnyDiagnosis: [T2DM] }]));
  progress(`eligibility: ${Math.round(eligibilityProveMs)} ms`);

  const aggregate = commitments.commit(20n, 5n);
  const releaseProveMs = await medianOf3(() => release.prove(releaseInput(aggregate, 11, 20, 5n)));

  const countKey = await loadVerificationKey('cohort_count');
  const verifyMs = await medianOf3(async () => {
    if (!(await verifyGroth16(countKey, chunkProof))) throw new Error('a fresh chunk proof did not verify');
  });
  const gasPerVerification = await verificationGas(chunkProof);
  progress(`threshold_release ${Math.round(releaseProveMs)} ms; verify ${verifyMs.toFixed(1)} ms; verifyProof gas ${gasPerVerification}`);

  const chunks = Math.ceil(PATIENTS / chunkSize);
  const result: ZkBench = {
    constraintsPerRecord: Math.round(manifest.circuits.cohort_count.constraints / chunkSize),
    chunkProveMs: Math.round(chunkProveMs),
    eligibilityProveMs: Math.round(eligibilityProveMs),
    releaseProveMs: Math.round(releaseProveMs),
    verifyMs: Math.round(verifyMs * 10) / 10,
    gasPerVerification,
    projected10kQuerySeconds: Math.round((chunks * chunkProveMs + releaseProveMs) / 1000),
    twoChunksSequentialMs: Math.round(median(pairs)),
  };

  if (process.env.BENCH_ZK_WORKERS === '1') {
    const pool = await ProverPool.start(circuitArtifacts('cohort_count'), 2);
    try {
      const pairMs = await medianOf3(() => Promise.all(chunkInputs.map((input) => pool.prove(input))));
      result.twoChunksWorkerThreadsMs = Math.round(pairMs);
      result.projected10kQuerySecondsWorkerThreads = Math.round((Math.ceil(chunks / 2) * pairMs + releaseProveMs) / 1000);
    } finally {
      await pool.close();
    }
    progress(`2 chunks in 2 worker threads: ${result.twoChunksWorkerThreadsMs} ms (in sequence: ${result.twoChunksSequentialMs} ms)`);
  }

  const patients = Number(process.env.BENCH_ZK_PATIENTS ?? 0);
  if (patients > 0) {
    const population = randomRecords(patients, 7);
    const started = performance.now();
    await answerCohortQuery({ hash, commitments, count, release }, population, QUERY, 11);
    result.measuredQuerySeconds = Math.round((performance.now() - started) / 100) / 10;
    result.measuredPatients = patients;
  }
  return result;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = performance.now();
  benchZk((line) => process.stderr.write(`${Math.round((performance.now() - started) / 1000)} s  ${line}\n`)).then(
    (result) => {
      console.log(JSON.stringify({ ...result, benchSeconds: Math.round((performance.now() - started) / 1000) }, null, 2));
      process.exit(0);
    },
    (error: unknown) => {
      console.error(`zk bench: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
