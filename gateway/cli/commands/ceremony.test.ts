import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as snarkjs from 'snarkjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBuildConfig, REPO_ROOT, sha256File } from '../../../circuits/build-config.js';
import { circuitArtifacts } from '../../cohort/artifacts.js';
import { releaseInput } from '../../cohort/circuit-inputs.js';
import { loadCountCommitments } from '../../cohort/count-commitment.js';

const BIN = join(REPO_ROOT, 'bin', 'careledger.mjs');
const ptau = join(REPO_ROOT, (await loadBuildConfig()).ceremonyFixture.file);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function careledger(...args: string[]): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, 'ceremony', ...args], { cwd: REPO_ROOT });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'careledger-ceremony-cli-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('careledger ceremony (child processes, committed 2^10 fixture ptau)', () => {
  it('init -> two hospitals contribute -> finalize -> verify, and the exported key verifies a real proof', async () => {
    const file = (name: string) => join(dir, name);
    const init = await careledger('init', '--circuit', 'threshold_release', '--ptau', ptau, '--out', file('c_0000.zkey'));
    expect(init).toMatchObject({ code: 0, stderr: '' });
    const a = await careledger('contribute', '--in', file('c_0000.zkey'), '--out', file('c_0001.zkey'), '--name', 'Hospital A');
    const b = await careledger('contribute', '--in', file('c_0001.zkey'), '--out', file('c_0002.zkey'), '--name', 'Hospital B', '--entropy', 'dice 3 1 6 6 2');
    const hashOf = (run: Run) => /contribution hash\s+([0-9a-f]{128})/.exec(run.stdout)?.[1];
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(hashOf(a)).not.toBe(hashOf(b));

    const final = file('threshold_release.zkey');
    const done = await careledger('finalize', '--in', file('c_0002.zkey'), '--out', final, '--beacon', '5a'.repeat(32), '--iterations', '10', '--name', 'block 1234567');
    expect(done.code).toBe(0);
    const vkeyPath = file('threshold_release.vkey.json');
    const verifierPath = file('ThresholdReleaseVerifier.sol');
    for (const path of [final, vkeyPath, verifierPath]) expect(done.stdout).toContain(`sha256 ${await sha256File(path)}  ${path}`);
    expect(await readFile(verifierPath, 'utf8')).toContain('contract ThresholdReleaseVerifier {');

    // What each hospital checks: the final key verifies and its own contribution hash is in the transcript.
    const verified = await careledger('verify', '--circuit', 'threshold_release', '--ptau', ptau, '--zkey', final);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(new RegExp(`contribution #1 Hospital A\\s+${hashOf(a)}`));
    expect(verified.stdout).toMatch(new RegExp(`contribution #2 Hospital B\\s+${hashOf(b)}`));
    expect(verified.stdout).toContain(`Beacon generator: ${'5a'.repeat(32)}`);

    const commitments = await loadCountCommitments();
    const { proof, publicSignals } = await snarkjs.groth16.fullProve(releaseInput(commitments.commit(40n, 7n), 11, 40, 7n), circuitArtifacts('threshold_release').wasm, final);
    expect(await snarkjs.groth16.verify(JSON.parse(await readFile(vkeyPath, 'utf8')), publicSignals, proof)).toBe(true);
  });

  it('fails with one line and a non-zero exit', async () => {
    const badBeacon = await careledger('finalize', '--in', join(dir, 'c_0002.zkey'), '--out', join(dir, 'threshold_release_x.zkey'), '--beacon', 'not-hex', '--iterations', '10', '--name', 'b');
    expect(badBeacon).toMatchObject({ code: 1, stdout: '', stderr: 'careledger ceremony finalize: the beacon hash must be hex\n' });
    const notPtau = await careledger('init', '--circuit', 'threshold_release', '--ptau', join(dir, 'c_0000.zkey'), '--out', join(dir, 'e.zkey'));
    expect(notPtau).toMatchObject({ code: 1, stderr: 'careledger ceremony init: c_0000.zkey is not a ptau file\n' });
    expect(await careledger('contribute', '--in', join(dir, 'c_0000.zkey'))).toMatchObject({ code: 2, stderr: 'careledger ceremony contribute: contribute needs --out, --name\n' });
  });
});
