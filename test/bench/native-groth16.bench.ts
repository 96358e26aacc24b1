// snarkjs groth16.prove against the native prover on the same witness, both warm (keys in memory,
// first run left out), witness generation excluded; then the native prover's phases for
// cohort_count (its CARELEDGER_GROTH16_PROFILE output).
// Run: npx tsx test/bench/native-groth16.bench.ts   (BENCH_RUNS=N, default 7)

import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import * as snarkjs from 'snarkjs';
import { circuitArtifacts, type CohortCircuit } from '../../gateway/cohort/artifacts.js';
import { circuitWitness, sampleCircuitInputs } from '../support/circuit-witness-samples.js';
import { NativeGroth16Prover, nativeProverBinary } from '../../gateway/cohort/native-groth16.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const CIRCUITS: CohortCircuit[] = ['cohort_count', 'eligibility'];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function medianMs(run: () => Promise<unknown>): Promise<number> {
  await run();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  return median(times);
}

/** Median of each phase over RUNS proofs (plus one warm-up), from the sidecar's profile lines. */
async function nativePhases(zkey: string, wtns: Uint8Array): Promise<Record<string, number>> {
  const child = spawn(await nativeProverBinary(), [zkey], { env: { ...process.env, CARELEDGER_GROTH16_PROFILE: '1' } });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdout.resume();
  const header = Buffer.alloc(4);
  header.writeUInt32LE(wtns.byteLength);
  for (let i = 0; i <= RUNS; i++) child.stdin.write(Buffer.concat([header, wtns]));
  child.stdin.end();
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`profiling run exited with ${code}: ${stderr}`);
  const lines = stderr.trim().split('\n').slice(1).map((line) => JSON.parse(line) as Record<string, number>);
  return Object.fromEntries(Object.keys(lines[0]).map((key) => [key, Math.round(median(lines.map((l) => l[key])) * 10) / 10]));
}

async function main(): Promise<void> {
  const inputs = await sampleCircuitInputs();
  const results: Record<string, { snarkjsMs: number; nativeMs: number; speedup: number }> = {};
  for (const circuit of CIRCUITS) {
    const { zkey: zkeyPath } = circuitArtifacts(circuit);
    const wtns = await circuitWitness(circuit, inputs[circuit]);
    const zkey = await readFile(zkeyPath);
    const snarkjsMs = await medianMs(() => snarkjs.groth16.prove({ type: 'mem', data: zkey }, { type: 'mem', data: wtns }));
    const prover = await NativeGroth16Prover.start(zkeyPath);
    let nativeMs: number;
    try {
      nativeMs = await medianMs(() => prover.prove(wtns));
    } finally {
      await prover.close();
    }
    results[circuit] = { snarkjsMs: Math.round(snarkjsMs), nativeMs: Math.round(nativeMs * 10) / 10, speedup: Math.round((snarkjsMs / nativeMs) * 10) / 10 };
    process.stderr.write(`${circuit}: snarkjs ${Math.round(snarkjsMs)} ms, native ${nativeMs.toFixed(1)} ms (median of ${RUNS})\n`);
  }
  const phases = await nativePhases(circuitArtifacts('cohort_count').zkey, await circuitWitness('cohort_count', inputs.cohort_count));
  console.log(JSON.stringify({ runs: RUNS, results, cohortCountNativePhasesMs: phases }, null, 2));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(`native groth16 bench: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
