import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import * as snarkjs from 'snarkjs';
import type { VerificationKey } from 'snarkjs';
import { describe, expect, it } from 'vitest';
import { ARTIFACTS_DIR, loadBuildConfig, loadManifest, REPO_ROOT, sha256File } from './build-config.js';
import { ensureR1cs, r1csPath } from './r1cs.js';

const manifest = await loadManifest();
const config = await loadBuildConfig();
const circuits = Object.keys(config.circuits);
/** Compiling it takes seconds, so CI always proves the committed sources still give the pinned r1cs. */
const ALWAYS_COMPILED = 'threshold_release';
const absentR1cs = circuits.filter((name) => name !== ALWAYS_COMPILED && !existsSync(r1csPath(name)));
if (absentR1cs.length > 0) {
  console.warn(`r1cs hash check skipped for ${absentR1cs.join(', ')}: not compiled here (~15 s each; npx tsx circuits/build.ts --r1cs compiles and checks them)`);
}
const MAX_PLAIN_BYTES = 8 * 1024 * 1024;

function isGitIgnored(path: string): boolean {
  try {
    execFileSync('git', ['check-ignore', '-q', path], { cwd: REPO_ROOT });
    return true;
  } catch {
    return false;
  }
}

/** The constants the snarkjs Groth16 template embeds, read back from the Solidity source. */
function solidityConstants(source: string): Map<string, string> {
  return new Map([...source.matchAll(/uint256 constant (\w+)\s*=\s*(\d+);/g)].map((m) => [m[1], m[2]]));
}

/** The same constants as the template derives them from a verification key (G2 limbs swapped). */
function vkeyConstants(vkey: VerificationKey): Map<string, string> {
  const g2 = (name: string, p: string[][]): [string, string][] => [
    [`${name}x1`, p[0][1]],
    [`${name}x2`, p[0][0]],
    [`${name}y1`, p[1][1]],
    [`${name}y2`, p[1][0]],
  ];
  return new Map([
    ['alphax', vkey.vk_alpha_1[0]],
    ['alphay', vkey.vk_alpha_1[1]],
    ...g2('beta', vkey.vk_beta_2),
    ...g2('gamma', vkey.vk_gamma_2),
    ...g2('delta', vkey.vk_delta_2),
    ...vkey.IC.flatMap((p, i): [string, string][] => [
      [`IC${i}x`, p[0]],
      [`IC${i}y`, p[1]],
    ]),
  ]);
}

describe('committed circuit artifacts', () => {
  it('lists every configured circuit in the manifest', () => {
    expect(Object.keys(manifest.circuits).sort()).toEqual([...circuits].sort());
  });

  it('references every file kept in circuits/artifacts, and git-ignores the r1cs', async () => {
    const referenced = new Set(Object.values(manifest.circuits).flatMap((c) => Object.values(c.files).map((f) => f.path)));
    const kept = (await readdir(ARTIFACTS_DIR)).filter((f) => f !== 'manifest.json' && !f.endsWith('.r1cs')).map((f) => `circuits/artifacts/${f}`);
    expect(kept.filter((path) => !referenced.has(path))).toEqual([]);
    for (const circuit of Object.values(manifest.circuits)) {
      expect([circuit.r1cs.path, isGitIgnored(circuit.r1cs.path)]).toEqual([circuit.r1cs.path, true]);
      for (const file of Object.values(circuit.files)) expect([file.path, isGitIgnored(file.path)]).toEqual([file.path, false]);
    }
  });

  it('keeps every committed file under 8 MiB unless it is a zkey or a wasm', () => {
    const committed = Object.values(manifest.circuits).flatMap((c) => Object.values(c.files));
    expect(committed.filter((f) => f.bytes > MAX_PLAIN_BYTES && !/\.(zkey|wasm)$/.test(f.path)).map((f) => f.path)).toEqual([]);
  });

  it('pins the committed ceremony fixture ptau by hash', async () => {
    const fixture = join(REPO_ROOT, config.ceremonyFixture.file);
    expect(await sha256File(fixture)).toBe(config.ceremonyFixture.sha256);
    expect((await stat(fixture)).size).toBeLessThan(MAX_PLAIN_BYTES);
    expect(isGitIgnored(config.ceremonyFixture.file)).toBe(false);
  });

  describe.each(circuits)('%s', (name) => {
    const entry = manifest.circuits[name];

    it('matches the manifest hash for every committed file', async () => {
      for (const file of Object.values(entry.files)) {
        expect({ path: file.path, sha256: await sha256File(join(REPO_ROOT, file.path)) }).toEqual({ path: file.path, sha256: file.sha256 });
      }
    });

    it.skipIf(absentR1cs.includes(name))('compiles from the committed sources to the r1cs the manifest pins', async () => {
      expect(entry.r1cs.path).toBe(`circuits/artifacts/${name}.r1cs`);
      expect(await sha256File(await ensureR1cs(name))).toBe(entry.r1cs.sha256);
    });

    it('has a Solidity verifier whose embedded constants are exactly the verification key', async () => {
      const vkey = JSON.parse(await readFile(join(REPO_ROOT, entry.files.vkey.path), 'utf8')) as VerificationKey;
      const solidity = await readFile(join(REPO_ROOT, entry.files.verifier.path), 'utf8');
      const embedded = solidityConstants(solidity);
      for (const [constant, value] of vkeyConstants(vkey)) expect([constant, embedded.get(constant)]).toEqual([constant, value]);
      expect(solidity).toContain(`contract ${config.circuits[name].verifier} {`);
      expect(solidity).toContain(`uint[${vkey.nPublic}] calldata _pubSignals`);
    });

    it('has a verification key that is the one in the committed zkey', async () => {
      const vkey = JSON.parse(await readFile(join(REPO_ROOT, entry.files.vkey.path), 'utf8')) as VerificationKey;
      const fromZkey = await snarkjs.zKey.exportVerificationKey(join(REPO_ROOT, entry.files.zkey.path));
      expect(JSON.parse(JSON.stringify(fromZkey))).toEqual(vkey);
    });

    it('keeps the zkey under 64 MiB', () => {
      expect(entry.files.zkey.bytes).toBeLessThan(64 * 1024 * 1024);
    });
  });
});
