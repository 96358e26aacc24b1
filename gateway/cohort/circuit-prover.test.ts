import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { circuitArtifacts, loadVerificationKey } from './artifacts.js';
import { CircuitProver, configuredBackend, verifyGroth16 } from './circuit-prover.js';
import { sampleCircuitInputs } from '../../test/support/circuit-witness-samples.js';
import { nativeProverUnavailableReason } from './native-groth16.js';
import { releaseZkThreads } from './zk-toolkit.js';

const unavailable = await nativeProverUnavailableReason();
if (unavailable) console.warn(`circuit-prover.test.ts: native backend cases skipped: ${unavailable}`);

const inputs = await sampleCircuitInputs();

/** Pids of this process's live native prover sidecars. */
function childSidecars(): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const alive = fields[0] !== 'Z';
        return alive && Number(fields[1]) === process.pid && stat.includes('(careledger-gro') ? [Number(pid)] : [];
      } catch {
        return [];
      }
    });
}
const key = await loadVerificationKey('threshold_release');

describe('CircuitProver', () => {
  const provers: CircuitProver[] = [];
  const prover = (backend: 'auto' | 'native' | 'snarkjs', sidecars = 1): CircuitProver => {
    const made = new CircuitProver(circuitArtifacts('threshold_release'), { backend, sidecars });
    provers.push(made);
    return made;
  };

  afterAll(async () => {
    await Promise.all(provers.map((p) => p.close()));
    await releaseZkThreads();
  });

  it('reads the backend from CARELEDGER_ZK_PROVER and refuses anything else', () => {
    expect(configuredBackend(undefined)).toBe('auto');
    expect(configuredBackend('')).toBe('auto');
    expect(configuredBackend('native')).toBe('native');
    expect(configuredBackend('snarkjs')).toBe('snarkjs');
    expect(() => configuredBackend('rapidsnark')).toThrow(/auto, native or snarkjs/);
  });

  it('proves with snarkjs when asked to', async () => {
    const snark = prover('snarkjs');
    expect(await snark.backend()).toBe('snarkjs');
    expect(await verifyGroth16(key, await snark.prove(inputs.threshold_release))).toBe(true);
  });

  it.skipIf(unavailable !== undefined)('picks the native prover by default, and both backends prove the same statement', async () => {
    const auto = prover('auto');
    expect(await auto.backend()).toBe('native');
    const [native, snark] = await Promise.all([auto.prove(inputs.threshold_release), prover('snarkjs').prove(inputs.threshold_release)]);
    expect(native.publicSignals).toEqual(snark.publicSignals);
    expect(await verifyGroth16(key, native)).toBe(true);
  });

  it.skipIf(unavailable !== undefined)('keeps several proofs in flight and answers each with its own statement', async () => {
    const native = prover('native');
    const results = await Promise.allSettled([native.prove(inputs.threshold_release), native.prove(inputs.threshold_release)]);
    for (const result of results) {
      expect(result.status).toBe('fulfilled');
      if (result.status === 'fulfilled') expect(await verifyGroth16(key, result.value)).toBe(true);
    }
  });

  it.skipIf(unavailable !== undefined)('spreads proofs over several single-threaded sidecars', async () => {
    const spread = prover('native', 2);
    expect(spread.parallelism).toBe(2);
    const results = await Promise.all([0, 1, 2].map(() => spread.prove(inputs.threshold_release)));
    for (const result of results) expect(await verifyGroth16(key, result)).toBe(true);
    expect(() => new CircuitProver(circuitArtifacts('threshold_release'), { sidecars: 0 })).toThrow(/at least 1 sidecar/);
  });

  it.skipIf(unavailable !== undefined)('replaces a sidecar that died, and lets proofs already asked for finish on close', async () => {
    const native = prover('native');
    expect(await verifyGroth16(key, await native.prove(inputs.threshold_release))).toBe(true);
    const sidecars = childSidecars();
    expect(sidecars.length).toBeGreaterThan(0);
    for (const pid of sidecars) process.kill(pid, 'SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await verifyGroth16(key, await native.prove(inputs.threshold_release))).toBe(true);

    const pending = [native.prove(inputs.threshold_release), native.prove(inputs.threshold_release)];
    await native.close();
    for (const result of await Promise.allSettled(pending)) expect(result.status).toBe('fulfilled');
  });

  it('rejects an input the circuit does not accept, and proves the next one', async () => {
    const auto = prover('auto');
    await expect(auto.prove({ ...inputs.threshold_release, total: 21n })).rejects.toThrow();
    expect(await verifyGroth16(key, await auto.prove(inputs.threshold_release))).toBe(true);
  });
});
