import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { VerificationKey } from 'snarkjs';

export type CohortCircuit = 'cohort_count' | 'eligibility' | 'threshold_release';

/** Where a circuit's committed proving artifacts live. */
export interface CircuitArtifacts {
  wasm: string;
  zkey: string;
  vkey: string;
}

/** circuits/artifacts in this checkout: the committed outputs of circuits/build.ts. */
export const DEFAULT_ARTIFACTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'circuits', 'artifacts');

export function circuitArtifacts(circuit: CohortCircuit, dir: string = DEFAULT_ARTIFACTS_DIR): CircuitArtifacts {
  return {
    wasm: join(dir, `${circuit}.wasm`),
    zkey: join(dir, `${circuit}.zkey`),
    vkey: join(dir, `${circuit}.vkey.json`),
  };
}

export async function loadVerificationKey(circuit: CohortCircuit, dir: string = DEFAULT_ARTIFACTS_DIR): Promise<VerificationKey> {
  return JSON.parse(await readFile(circuitArtifacts(circuit, dir).vkey, 'utf8')) as VerificationKey;
}
