import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ARTIFACTS_DIR, loadBuildConfig, loadManifest, REPO_ROOT, sha256File } from './build-config.js';
import { compileCircuit } from './compile.js';

/**
 * The r1cs files are not committed (18 MB, and only the ceremony needs them): they are compiled
 * on demand from the committed sources, and must hash to what the manifest pinned when the
 * committed zkeys were made, or the sources have drifted from the keys.
 */
export function r1csPath(name: string): string {
  return join(ARTIFACTS_DIR, `${name}.r1cs`);
}

/** Compiles `name`'s r1cs into circuits/artifacts unless already there; returns its path. */
export async function ensureR1cs(name: string): Promise<string> {
  const target = r1csPath(name);
  if (existsSync(target)) return target;
  const [config, manifest] = await Promise.all([loadBuildConfig(), loadManifest()]);
  const circuit = config.circuits[name];
  if (!circuit) throw new Error(`unknown circuit ${name} (circuits/circuits.json has ${Object.keys(config.circuits).join(', ')})`);
  const pinned = manifest.circuits[name]?.r1cs.sha256;
  if (!pinned) throw new Error(`circuits/artifacts/manifest.json has no r1cs hash for ${name}; run npx tsx circuits/build.ts ${name}`);
  // A private directory per call, then an atomic rename: concurrent test files may race here.
  await mkdir(join(REPO_ROOT, '.tmp'), { recursive: true });
  const work = await mkdtemp(join(REPO_ROOT, '.tmp', 'r1cs-'));
  try {
    await compileCircuit(name, circuit, work, { wasm: false });
    const compiled = join(work, `${name}.r1cs`);
    const sha256 = await sha256File(compiled);
    if (sha256 !== pinned) {
      throw new Error(`compiled ${name}.r1cs hashes to ${sha256}, the manifest pins ${pinned}: circuits/src changed since the keys were made (rebuild with circuits/build.ts)`);
    }
    await rename(compiled, target);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return target;
}
