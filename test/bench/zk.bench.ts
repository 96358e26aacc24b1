// Measures the cohort proofs on this machine: real Groth16 proving with the committed keys, on the
// native prover and on snarkjs (the baseline, same run, same witnesses), the gas of a real
// verifyProof transaction on anvil, and a real query over 10,000 patients.
// Run: npx tsx test/bench/zk.bench.ts
//   BENCH_ZK_PATIENTS=N  patients in the measured query (default 10,000; 0 = project from one chunk)

import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Contract, ContractFactory, Wallet } from 'ethers';
import * as snarkjs from 'snarkjs';
import { artifacts as evmArtifacts } from '../../chaincode/evm/artifacts.js';
import { loadManifest } from '../../circuits/build-config.js';
import { randomRecords, T2DM } from '../support/cohort-records.js';
import { startEmbeddedChain } from '../../network/embedded-chain.js';
import { createEvmProvider } from '../../gateway/ledger/evm/provider.js';
import { circuitArtifacts, loadVerificationKey } from '../../gateway/cohort/artifacts.js';
import { chunkInput, eligibilityInput, releaseInput, type CircuitInput } from '../../gateway/cohort/circuit-inputs.js';
import { CircuitProver, verifyGroth16, type Groth16Result, type ProverBackend } from '../../gateway/cohort/circuit-prover.js';
import { answerCohortQuery, type ProofTiming } from '../../gateway/cohort/cohort-query-prover.js';
import { buildCohortTree, inclusionPath } from '../../gateway/cohort/cohort-tree.js';
import { loadCountCommitments } from '../../gateway/cohort/count-commitment.js';
import { compileCriteria, criteriaHash, type CohortCriteria } from '../../gateway/cohort/criteria.js';
import { diagnosisCodeElement } from '../../gateway/cohort/diagnosis-code.js';
import { identityCommitment } from '../../gateway/cohort/eligibility-proof.js';
import { FEATURE_SCHEMA } from '../../gateway/cohort/feature-schema.js';
import { loadPoseidon } from '../../gateway/cohort/poseidon.js';
import { recordLeaf } from '../../gateway/cohort/record-encoding.js';
import { releaseZkThreads } from '../../gateway/cohort/zk-toolkit.js';

export interface ZkBench {
  /** The backend of the main figures: native unless no C compiler was found. */
  backend: ProverBackend;
  /** cohort_count constraints / chunk size: per-record cost with the fixed per-chunk part spread over the chunk. */
  constraintsPerRecord: number;
  /** One 16-record chunk, witness + proof, keys in memory; median of 3 after a warm-up. */
  chunkProveMs: number;
  eligibilityProveMs: number;
  releaseProveMs: number;
  /** The same chunk and eligibility witnesses proved by snarkjs: the baseline. */
  snarkjsChunkProveMs: number;
  snarkjsEligibilityProveMs: number;
  /** snarkjs verify of a chunk proof, median of 3. */
  verifyMs: number;
  /** gasUsed of a real CohortCountVerifier.verifyProof transaction (21k base and calldata included). */
  gasPerVerification: number;
  /** Patients of the measured query (0: none measured, the 10k figure is projected). */
  queryPatients: number;
  /** Wall time of the measured query: feature tree, every chunk proof (one single-threaded sidecar per core), release proof. */
  querySeconds: number;
  /** Average wall time a chunk added to the measured query. */
  queryChunkMs: number;
  /** 10,000 patients: querySeconds scaled by chunk count, or measured when queryPatients = 10,000. */
  tenThousandPatientQuerySeconds: number;
  /** snarkjs, projected: 625 chunks at snarkjsChunkProveMs plus the release proof. */
  snarkjsTenThousandPatientQuerySeconds: number;
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

/** The first run of each prover pays for JIT, WebAssembly compilation and the zkey load; it is left out. */
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

/** `progress` receives one line per finished measurement (the whole run takes about 5 minutes). */
export async function benchZk(progress: (line: string) => void = () => {}): Promise<ZkBench> {
  const [hash, commitments, manifest] = await Promise.all([loadPoseidon(), loadCountCommitments(), loadManifest()]);
  const chunkSize = FEATURE_SCHEMA.tree.chunkSize;
  const compiled = compileCriteria(QUERY);
  const queryHash = criteriaHash(hash, compiled);
  const records = randomRecords(chunkSize, 2025);
  const chunk: CircuitInput = chunkInput(compiled, queryHash, records, commitments.randomBlinding());

  const patient = { ...records[0], salt: identityCommitment(hash, SECRET), diagnoses: [diagnosisCodeElement(T2DM.system, T2DM.code)] };
  const cohort = [patient, ...records.slice(1)];
  const tree = buildCohortTree(hash, cohort.map((r) => recordLeaf(hash, r)));
  const eligibilityCriteria = compileCriteria([{ hasAnyDiagnosis: [T2DM] }]);
  const eligibility: CircuitInput = eligibilityInput(eligibilityCriteria, criteriaHash(hash, eligibilityCriteria), {
    record: patient,
    patientSecret: SECRET,
    path: inclusionPath(hash, tree, 0),
    root: tree.root,
    scopeId: 7n,
  });

  const provers = {
    count: new CircuitProver(circuitArtifacts('cohort_count')),
    release: new CircuitProver(circuitArtifacts('threshold_release')),
    eligibility: new CircuitProver(circuitArtifacts('eligibility')),
  };
  const queryCount = new CircuitProver(circuitArtifacts('cohort_count'), { sidecars: availableParallelism() });
  const baseline = {
    count: new CircuitProver(circuitArtifacts('cohort_count'), 'snarkjs'),
    eligibility: new CircuitProver(circuitArtifacts('eligibility'), 'snarkjs'),
  };
  try {
    const backend = await provers.count.backend();
    const chunkProveMs = await medianOf3(() => provers.count.prove(chunk));
    const eligibilityProveMs = await medianOf3(() => provers.eligibility.prove(eligibility));
    const releaseProveMs = await medianOf3(() => provers.release.prove(releaseInput(commitments.commit(20n, 5n), 11, 20, 5n)));
    progress(`${backend}: chunk ${Math.round(chunkProveMs)} ms, eligibility ${Math.round(eligibilityProveMs)} ms, release ${Math.round(releaseProveMs)} ms`);
    const snarkjsChunkProveMs = await medianOf3(() => baseline.count.prove(chunk));
    const snarkjsEligibilityProveMs = await medianOf3(() => baseline.eligibility.prove(eligibility));
    progress(`snarkjs: chunk ${Math.round(snarkjsChunkProveMs)} ms, eligibility ${Math.round(snarkjsEligibilityProveMs)} ms`);

    const chunkProof = await provers.count.prove(chunk);
    const countKey = await loadVerificationKey('cohort_count');
    const verifyMs = await medianOf3(async () => {
      if (!(await verifyGroth16(countKey, chunkProof))) throw new Error('a fresh chunk proof did not verify');
    });
    const gasPerVerification = await verificationGas(chunkProof);
    progress(`verify ${verifyMs.toFixed(1)} ms; verifyProof gas ${gasPerVerification}`);

    const tenThousandChunks = Math.ceil(PATIENTS / chunkSize);
    const queryPatients = Number(process.env.BENCH_ZK_PATIENTS ?? PATIENTS);
    let querySeconds = 0;
    let queryChunkMs = chunkProveMs;
    if (queryPatients > 0) {
      const population = randomRecords(queryPatients, 7);
      const timing: ProofTiming = { chunkSeconds: [], releaseSeconds: 0 };
      const started = performance.now();
      const answer = await answerCohortQuery({ hash, commitments, count: queryCount, release: provers.release }, population, QUERY, 11, timing);
      querySeconds = (performance.now() - started) / 1000;
      queryChunkMs = (1000 * timing.chunkSeconds.reduce((a, b) => a + b, 0)) / timing.chunkSeconds.length;
      if (!(await verifyGroth16(countKey, answer.chunks.at(-1)!))) throw new Error('the last chunk proof of the measured query did not verify');
      progress(`query over ${queryPatients} patients: ${querySeconds.toFixed(1)} s (${answer.chunks.length} chunks, ${Math.round(queryChunkMs)} ms each)`);
    }
    const queryChunks = Math.ceil(queryPatients / chunkSize);
    const tenThousandPatientQuerySeconds =
      queryPatients === PATIENTS ? querySeconds : queryPatients > 0 ? (querySeconds * tenThousandChunks) / queryChunks : (tenThousandChunks * chunkProveMs + releaseProveMs) / 1000;

    return {
      backend,
      constraintsPerRecord: Math.round(manifest.circuits.cohort_count.constraints / chunkSize),
      chunkProveMs: Math.round(chunkProveMs),
      eligibilityProveMs: Math.round(eligibilityProveMs),
      releaseProveMs: Math.round(releaseProveMs),
      snarkjsChunkProveMs: Math.round(snarkjsChunkProveMs),
      snarkjsEligibilityProveMs: Math.round(snarkjsEligibilityProveMs),
      verifyMs: Math.round(verifyMs * 10) / 10,
      gasPerVerification,
      queryPatients,
      querySeconds: Math.round(querySeconds * 10) / 10,
      queryChunkMs: Math.round(queryChunkMs),
      tenThousandPatientQuerySeconds: Math.round(tenThousandPatientQuerySeconds),
      snarkjsTenThousandPatientQuerySeconds: Math.round((tenThousandChunks * snarkjsChunkProveMs + releaseProveMs) / 1000),
    };
  } finally {
    await Promise.all([...Object.values(provers), queryCount, ...Object.values(baseline)].map((p) => p.close()));
    await releaseZkThreads();
  }
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
