import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import * as snarkjs from 'snarkjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { circuitArtifacts, loadVerificationKey, type CohortCircuit } from './artifacts.js';
import { circuitWitness, sampleCircuitInputs } from '../../test/support/circuit-witness-samples.js';
import { NativeGroth16Prover, nativeProverUnavailableReason } from './native-groth16.js';

const unavailable = await nativeProverUnavailableReason();
if (unavailable) console.warn(`native-groth16.test.ts skipped: ${unavailable}`);

const CIRCUITS: CohortCircuit[] = ['cohort_count', 'eligibility', 'threshold_release'];
const FIELD_MODULUS = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

/** Byte offset of witness value `index` in a .wtns file: magic, version, count, section 1 (header), section 2 header. */
function witnessValueOffset(wtns: Uint8Array, index: number): number {
  const view = new DataView(wtns.buffer, wtns.byteOffset, wtns.byteLength);
  const headerSize = Number(view.getBigUint64(12 + 4, true));
  return 12 + 12 + headerSize + 12 + 32 * index;
}

describe.skipIf(unavailable !== undefined)('native Groth16 prover', () => {
  const witnesses = {} as Record<CohortCircuit, Uint8Array>;
  const provers = {} as Record<CohortCircuit, NativeGroth16Prover>;

  beforeAll(async () => {
    const inputs = await sampleCircuitInputs();
    for (const circuit of CIRCUITS) witnesses[circuit] = await circuitWitness(circuit, inputs[circuit]);
    for (const circuit of CIRCUITS) provers[circuit] = await NativeGroth16Prover.start(circuitArtifacts(circuit).zkey);
  });

  afterAll(async () => {
    await Promise.all(Object.values(provers).map((prover) => prover.close()));
  });

  it.each(CIRCUITS)('%s: the proof verifies and the public signals are the ones snarkjs proves', async (circuit) => {
    const native = await provers[circuit].prove(witnesses[circuit]);
    const zkey = await readFile(circuitArtifacts(circuit).zkey);
    const reference = await snarkjs.groth16.prove({ type: 'mem', data: zkey }, { type: 'mem', data: witnesses[circuit] });
    expect(native.publicSignals).toEqual(reference.publicSignals);
    expect(Object.keys(native.proof)).toEqual(Object.keys(reference.proof));
    expect(native.proof.pi_a[2]).toBe('1');
    expect(native.proof.pi_b[2]).toEqual(['1', '0']);
    expect(await snarkjs.groth16.verify(await loadVerificationKey(circuit), native.publicSignals, native.proof)).toBe(true);
  });

  it('draws fresh randomness for every proof', async () => {
    const [first, second] = await Promise.all([provers.eligibility.prove(witnesses.eligibility), provers.eligibility.prove(witnesses.eligibility)]);
    expect(first.publicSignals).toEqual(second.publicSignals);
    expect(first.proof.pi_a).not.toEqual(second.proof.pi_a);
    expect(first.proof.pi_b).not.toEqual(second.proof.pi_b);
    expect(first.proof.pi_c).not.toEqual(second.proof.pi_c);
    const vkey = await loadVerificationKey('eligibility');
    expect(await snarkjs.groth16.verify(vkey, second.publicSignals, second.proof)).toBe(true);
  });

  it('refuses corrupted and truncated witnesses with a reason and keeps serving', async () => {
    const prover = provers.threshold_release;
    const good = witnesses.threshold_release;

    const badMagic = good.slice();
    badMagic[0] ^= 0xff;
    await expect(prover.prove(badMagic)).rejects.toThrow(/bad magic/);

    const notAFieldElement = good.slice();
    const at = witnessValueOffset(notAFieldElement, 3);
    const modulus = Buffer.from(FIELD_MODULUS.toString(16).padStart(64, '0'), 'hex').reverse();
    notAFieldElement.set(modulus, at);
    await expect(prover.prove(notAFieldElement)).rejects.toThrow(/not a field element/);

    await expect(prover.prove(good.subarray(0, good.length - 100))).rejects.toThrow(/truncated section/);
    await expect(prover.prove(new Uint8Array(0))).rejects.toThrow(/bad magic/);
    await expect(prover.prove(witnesses.eligibility)).rejects.toThrow(/witness length does not match the circuit/);

    const after = await prover.prove(good);
    expect(await snarkjs.groth16.verify(await loadVerificationKey('threshold_release'), after.publicSignals, after.proof)).toBe(true);
  });

  it('rejects the proof in progress and the queued ones when the sidecar dies', async () => {
    const prover = await NativeGroth16Prover.start(circuitArtifacts('cohort_count').zkey);
    const inFlight = prover.prove(witnesses.cohort_count);
    const queued = prover.prove(witnesses.cohort_count);
    process.kill(prover.pid!, 'SIGKILL');
    await expect(inFlight).rejects.toThrow(/killed by SIGKILL/);
    await expect(queued).rejects.toThrow(/killed by SIGKILL/);
    await expect(prover.prove(witnesses.cohort_count)).rejects.toThrow(/killed by SIGKILL/);
    await prover.close();
  });

  it('refuses a file that is not a zkey at start-up', async () => {
    await expect(NativeGroth16Prover.start(circuitArtifacts('threshold_release').wasm)).rejects.toThrow(/could not load .*bad magic/);
    await expect(NativeGroth16Prover.start('/nonexistent/x.zkey')).rejects.toThrow(/No such file/);
  });

  it('finishes queued proofs on close() and then refuses new ones', async () => {
    const prover = await NativeGroth16Prover.start(circuitArtifacts('threshold_release').zkey);
    const queued = [prover.prove(witnesses.threshold_release), prover.prove(witnesses.threshold_release)];
    await prover.close();
    expect((await Promise.all(queued)).map((r) => r.publicSignals.length)).toEqual([4, 4]);
    await expect(prover.prove(witnesses.threshold_release)).rejects.toThrow(/closed/);
  });

  it('does not keep Node running: the process exits with one sidecar closed and one left idle', async () => {
    const module = fileURLToPath(new URL('./native-groth16.ts', import.meta.url));
    const zkey = circuitArtifacts('threshold_release').zkey;
    const script = [
      `import { NativeGroth16Prover } from ${JSON.stringify(module)};`,
      `const closed = await NativeGroth16Prover.start(${JSON.stringify(zkey)});`,
      `await NativeGroth16Prover.start(${JSON.stringify(zkey)});`,
      'await closed.close();',
      "console.log('done');",
    ].join('\n');
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 20_000 }, (error, out, err) =>
        error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out),
      );
    });
    expect(stdout.trim()).toBe('done');
  });
});
