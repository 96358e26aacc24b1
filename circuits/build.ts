/**
 * Builds the circuits listed in circuits/circuits.json and runs the dev trusted setup:
 *   compile (circom2, --O2) -> r1cs + wasm
 *   phase 1: a deterministic dev Powers of Tau (new + public beacon + prepare phase2), made only
 *            when the file is missing; anyone can regenerate and check it, and nobody should
 *            trust it: its toxic waste follows from a public beacon
 *   phase 2: initialize -> one random dev contribution -> beacon -> vkey + Solidity verifier
 * and writes circuits/artifacts/manifest.json with the SHA-256 of every output. The r1cs files
 * are git-ignored: the manifest pins their hash and circuits/r1cs.ts recompiles them on demand.
 *
 * Usage (from the repo root):
 *   npx tsx circuits/build.ts [circuit ...]         full build, new keys (never in CI)
 *   npx tsx circuits/build.ts --r1cs [circuit ...]  only recompile the r1cs, checked against the manifest
 * The committed outputs are checked by circuits/artifacts.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as snarkjs from 'snarkjs';
import { contribute, finalize, initialize } from '../gateway/cohort/ceremony.js';
import { ARTIFACTS_DIR, CONTRACTS_DIR, loadBuildConfig, REPO_ROOT, sha256File, type ArtifactFile, type ArtifactManifest, type CircuitConfig } from './build-config.js';
import { compileCircuit } from './compile.js';
import { ensureR1cs, r1csPath } from './r1cs.js';

const WORK_DIR = join(REPO_ROOT, '.tmp', 'circuits');

function log(message: string): void {
  process.stdout.write(`${new Date().toISOString()} ${message}\n`);
}

async function timed<T>(label: string, run: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const result = await run();
  const seconds = Math.round((performance.now() - start) / 100) / 10;
  log(`${label}: ${seconds} s`);
  return [result, seconds];
}

async function ensurePtau(power: number, file: string, beacon: string, iterationsExp: number): Promise<void> {
  if (existsSync(file)) return;
  const curve = await snarkjs.curves.getCurveFromName('bn128');
  const fresh = `${file}.new`;
  const beaconed = `${file}.beacon`;
  await timed(`powers of tau 2^${power}`, async () => {
    await snarkjs.powersOfTau.newAccumulator(curve, power, fresh);
    await snarkjs.powersOfTau.beacon(fresh, beaconed, 'careledger dev phase 1 beacon', beacon, iterationsExp);
    await snarkjs.powersOfTau.preparePhase2(beaconed, file);
  });
  await rm(fresh);
  await rm(beaconed);
}

async function describeFile(path: string): Promise<ArtifactFile> {
  return { path: path.slice(REPO_ROOT.length + 1), sha256: await sha256File(path), bytes: (await stat(path)).size };
}

async function buildCircuit(name: string, circuit: CircuitConfig, ptauFile: string, phase2: { hash: string; iterationsExp: number }) {
  const [, compileSeconds] = await timed(`${name} compile`, () => compileCircuit(name, circuit, WORK_DIR, { wasm: true }));
  const r1cs = r1csPath(name);
  const wasm = join(ARTIFACTS_DIR, `${name}.wasm`);
  await copyFile(join(WORK_DIR, `${name}.r1cs`), r1cs);
  await copyFile(join(WORK_DIR, `${name}_js`, `${name}.wasm`), wasm);
  const info = (await snarkjs.r1cs.info(r1cs)) as { nConstraints: number; nVars: number };

  const zkey0 = join(WORK_DIR, `${name}_0000.zkey`);
  const zkey1 = join(WORK_DIR, `${name}_0001.zkey`);
  const zkey = join(ARTIFACTS_DIR, `${name}.zkey`);
  const vkey = join(ARTIFACTS_DIR, `${name}.vkey.json`);
  const verifier = join(CONTRACTS_DIR, `${circuit.verifier}.sol`);
  const [, setupSeconds] = await timed(`${name} phase 2`, async () => {
    await initialize(r1cs, ptauFile, zkey0);
    await contribute(zkey0, zkey1, 'careledger dev contribution', randomBytes(32).toString('hex'));
    await finalize(zkey1, zkey, { ...phase2, name: 'careledger dev phase 2 beacon' }, {
      verificationKeyPath: vkey,
      solidityVerifierPath: verifier,
      contractName: circuit.verifier,
    });
  });
  await rm(zkey0);
  await rm(zkey1);
  return {
    constraints: info.nConstraints,
    wires: info.nVars,
    compileSeconds,
    setupSeconds,
    r1cs: await describeFile(r1cs),
    files: { wasm: await describeFile(wasm), zkey: await describeFile(zkey), vkey: await describeFile(vkey), verifier: await describeFile(verifier) },
  };
}

async function main(): Promise<void> {
  const config = await loadBuildConfig();
  const args = process.argv.slice(2);
  const onlyR1cs = args.includes('--r1cs');
  const wanted = args.filter((a) => a !== '--r1cs');
  const unknown = wanted.filter((n) => !(n in config.circuits));
  if (unknown.length > 0) throw new Error(`unknown circuit(s) ${unknown.join(', ')}; see circuits/circuits.json`);
  if (onlyR1cs) {
    for (const name of wanted.length > 0 ? wanted : Object.keys(config.circuits)) {
      await rm(r1csPath(name), { force: true });
      await timed(`${name}.r1cs compiled, matches the manifest`, () => ensureR1cs(name));
    }
    return;
  }
  await mkdir(WORK_DIR, { recursive: true });
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  const ptauFile = join(REPO_ROOT, config.ptau.file);
  await ensurePtau(config.ptau.power, ptauFile, config.ptau.phase1Beacon, config.ptau.iterationsExp);

  const manifestPath = join(ARTIFACTS_DIR, 'manifest.json');
  const previous: ArtifactManifest | undefined = existsSync(manifestPath) ? JSON.parse(await readFile(manifestPath, 'utf8')) : undefined;
  const manifest: ArtifactManifest = {
    note: 'DEV setup: phase 1 comes from a public beacon, so these keys prove nothing against a malicious prover. Run a real phase-2 ceremony (gateway/cohort/ceremony.ts) on a public phase-1 ptau before production.',
    ptau: { power: config.ptau.power, sha256: await sha256File(ptauFile) },
    circuits: { ...previous?.circuits },
  };
  for (const name of wanted.length > 0 ? wanted : Object.keys(config.circuits)) {
    manifest.circuits[name] = await buildCircuit(name, config.circuits[name], ptauFile, config.phase2Beacon);
    await writeFile(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  }
  log(`wrote ${manifestPath}`);
}

// snarkjs leaves its curve's worker threads running: exit explicitly either way.
main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`circuits build: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
