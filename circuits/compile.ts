import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT, type CircuitConfig } from './build-config.js';

const CIRCOM = join(REPO_ROOT, 'node_modules', '.bin', 'circom2');

/**
 * Compiles one configured circuit with circom2 --O2 into `outDir` (which must sit inside the repo:
 * circom2 runs under WASI and only sees the working directory, so it runs from the repo root).
 * The output is byte-for-byte reproducible, which is what lets the r1cs stay out of git.
 * Writes `<outDir>/<name>.r1cs` and, with `wasm`, `<outDir>/<name>_js/<name>.wasm`.
 */
export async function compileCircuit(name: string, circuit: CircuitConfig, outDir: string, options: { wasm: boolean }): Promise<void> {
  const main = join(outDir, `${name}.circom`);
  const include = relative(outDir, join(REPO_ROOT, 'circuits', 'src', `${circuit.file}.circom`)).split('\\').join('/');
  await writeFile(
    main,
    `pragma circom 2.1.0;\ninclude "${include}";\n` +
      `component main {public [${circuit.pubs.join(', ')}]} = ${circuit.template}(${circuit.params.join(', ')});\n`,
  );
  const args = [relative(REPO_ROOT, main), '--r1cs', ...(options.wasm ? ['--wasm'] : []), '--O2', '-l', 'node_modules', '-o', relative(REPO_ROOT, outDir)];
  try {
    await promisify(execFile)(CIRCOM, args, { cwd: REPO_ROOT, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const output = error as { stderr?: string; stdout?: string };
    throw new Error(`circom2 failed on ${name}: ${(output.stderr || output.stdout || String(error)).trim()}`);
  }
}
