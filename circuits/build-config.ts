import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The declarative circuit list (circuits/circuits.json) and the artifact manifest it produces. */
export interface CircuitConfig {
  file: string;
  template: string;
  params: number[];
  pubs: string[];
  verifier: string;
}

export interface BuildConfig {
  ptau: { power: number; file: string; phase1Beacon: string; iterationsExp: number };
  /** The committed small ptau that lets the ceremony run in CI (circuits/ceremony-fixture/README.md). */
  ceremonyFixture: { power: number; file: string; sha256: string };
  phase2Beacon: { hash: string; iterationsExp: number };
  circuits: Record<string, CircuitConfig>;
}

export interface ArtifactFile {
  path: string;
  sha256: string;
  bytes: number;
}

export type CommittedKind = 'wasm' | 'zkey' | 'vkey' | 'verifier';

export interface ArtifactManifest {
  note: string;
  ptau: { power: number; sha256: string };
  circuits: Record<
    string,
    {
      constraints: number;
      wires: number;
      compileSeconds: number;
      setupSeconds: number;
      /** Not committed: recompiled on demand (circuits/r1cs.ts), which must reproduce this hash. */
      r1cs: ArtifactFile;
      /** Committed, every one of them. */
      files: Record<CommittedKind, ArtifactFile>;
    }
  >;
}

const CIRCUITS_DIR = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = dirname(CIRCUITS_DIR);
export const ARTIFACTS_DIR = join(CIRCUITS_DIR, 'artifacts');
export const CONTRACTS_DIR = join(REPO_ROOT, 'chaincode', 'evm', 'contracts');

export async function loadBuildConfig(): Promise<BuildConfig> {
  return JSON.parse(await readFile(join(CIRCUITS_DIR, 'circuits.json'), 'utf8')) as BuildConfig;
}

export async function loadManifest(): Promise<ArtifactManifest> {
  return JSON.parse(await readFile(join(ARTIFACTS_DIR, 'manifest.json'), 'utf8')) as ArtifactManifest;
}

export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}
