import { availableParallelism } from 'node:os';
import type { VerificationKey } from 'snarkjs';
import { circuitArtifacts, DEFAULT_ARTIFACTS_DIR, loadVerificationKey } from './artifacts.js';
import { CircuitProver, configuredBackend, type ProverBackend } from './circuit-prover.js';
import { loadCountCommitments, type CountCommitments } from './count-commitment.js';
import { loadPoseidon, type PoseidonHash } from './poseidon.js';

/** Everything a node or an auditor needs to prove and verify cohort answers and eligibility. */
export interface ZkToolkit {
  hash: PoseidonHash;
  commitments: CountCommitments;
  provers: { count: CircuitProver; release: CircuitProver; eligibility: CircuitProver };
  keys: { count: VerificationKey; release: VerificationKey; eligibility: VerificationKey };
}

/** Loads the hashers and keys (provers read their 30 MB of artifacts on first use only). */
export async function loadZkToolkit(
  dir: string = DEFAULT_ARTIFACTS_DIR,
  backend: ProverBackend | 'auto' = configuredBackend(),
): Promise<ZkToolkit> {
  const [hash, commitments, count, release, eligibility] = await Promise.all([
    loadPoseidon(),
    loadCountCommitments(),
    loadVerificationKey('cohort_count', dir),
    loadVerificationKey('threshold_release', dir),
    loadVerificationKey('eligibility', dir),
  ]);
  return {
    hash,
    commitments,
    provers: {
      // A query proves hundreds of chunks: one single-threaded sidecar per core proves the most per second.
      count: new CircuitProver(circuitArtifacts('cohort_count', dir), { backend, sidecars: availableParallelism() }),
      release: new CircuitProver(circuitArtifacts('threshold_release', dir), { backend }),
      eligibility: new CircuitProver(circuitArtifacts('eligibility', dir), { backend }),
    },
    keys: { count, release, eligibility },
  };
}

/**
 * Stops snarkjs's worker threads. snarkjs keeps its curve, with a pool of worker threads, in a
 * global once any proof was made or verified; a command line tool would otherwise never exit.
 */
export async function releaseZkThreads(): Promise<void> {
  const holder = globalThis as { curve_bn128?: { terminate(): Promise<void> } | null };
  await holder.curve_bn128?.terminate();
}

/** Stops the toolkit's native sidecars once their proofs are done, and snarkjs's threads. */
export async function closeZkToolkit(zk: ZkToolkit): Promise<void> {
  await Promise.all(Object.values(zk.provers).map((prover) => prover.close()));
  await releaseZkThreads();
}
