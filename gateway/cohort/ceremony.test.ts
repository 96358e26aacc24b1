import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as snarkjs from 'snarkjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBuildConfig, REPO_ROOT } from '../../circuits/build-config.js';
import { ensureR1cs } from '../../circuits/r1cs.js';
import { circuitArtifacts, DEFAULT_ARTIFACTS_DIR } from './artifacts.js';
import { releaseInput } from './circuit-inputs.js';
import { contribute, finalize, initialize, verify } from './ceremony.js';
import { loadCountCommitments } from './count-commitment.js';

const config = await loadBuildConfig();
const fixturePtau = join(REPO_ROOT, config.ceremonyFixture.file);
const devPtau = join(REPO_ROOT, config.ptau.file);
if (!existsSync(devPtau)) {
  console.warn(`committed-zkey ceremony check skipped: ${config.ptau.file} is absent (npx tsx circuits/build.ts regenerates it, ~40 min)`);
}

let r1cs: string;
let dir: string;
beforeAll(async () => {
  r1cs = await ensureR1cs('threshold_release');
  dir = await mkdtemp(join(tmpdir(), 'careledger-ceremony-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('phase-2 ceremony on the committed 2^10 fixture ptau (threshold_release)', () => {
  it('runs initialize -> two contributions -> verify -> finalize, and the exported key verifies a real proof', async () => {
    const step = (n: number) => join(dir, `c_${n}.zkey`);
    await initialize(r1cs, fixturePtau, step(0));
    const first = await contribute(step(0), step(1), 'hospital-a.example', 'entropy a');
    const second = await contribute(step(1), step(2), 'hospital-b.example', 'entropy b');
    expect(first).toMatch(/^[0-9a-f]{128}$/);
    expect(second).not.toBe(first);
    expect(await verify(r1cs, fixturePtau, step(2))).toBe(true);
    const exports = { verificationKeyPath: join(dir, 'vkey.json'), solidityVerifierPath: join(dir, 'V.sol'), contractName: 'ThresholdReleaseVerifier' };
    const done = await finalize(step(2), step(3), { hash: 'ab'.repeat(32), iterationsExp: 10, name: 'beacon' }, exports);
    expect(await verify(r1cs, fixturePtau, step(3))).toBe(true);
    const vkey = JSON.parse(await readFile(exports.verificationKeyPath, 'utf8'));
    expect(vkey).toEqual(JSON.parse(JSON.stringify(done.verificationKey)));
    expect(await readFile(exports.solidityVerifierPath, 'utf8')).toContain('contract ThresholdReleaseVerifier {');

    const commitments = await loadCountCommitments();
    const input = releaseInput(commitments.commit(12n, 99n), 10, 12, 99n);
    const { proof, publicSignals } = await snarkjs.groth16.fullProve(input, circuitArtifacts('threshold_release').wasm, step(3));
    expect(publicSignals[0]).toBe('12');
    expect(await snarkjs.groth16.verify(vkey, publicSignals, proof)).toBe(true);
    // Keys of another setup (the committed dev key) must not accept it.
    expect(await snarkjs.groth16.verify(JSON.parse(await readFile(circuitArtifacts('threshold_release').vkey, 'utf8')), publicSignals, proof)).toBe(false);
  });

  it('refuses a zkey whose transcript does not start from this ptau', async () => {
    expect(await verify(r1cs, fixturePtau, join(DEFAULT_ARTIFACTS_DIR, 'threshold_release.zkey'))).toBe(false);
  });

  it('refuses an anonymous contribution before reading anything', async () => {
    await expect(contribute(join(dir, 'absent.zkey'), join(dir, 'anon.zkey'), ' ', 'x')).rejects.toThrow(/name the contributor/);
  });
});

describe.skipIf(!existsSync(devPtau))('the committed dev key', () => {
  it('verifies against its r1cs and the dev 2^15 ptau', async () => {
    expect(await verify(r1cs, devPtau, join(DEFAULT_ARTIFACTS_DIR, 'threshold_release.zkey'))).toBe(true);
  });
});
