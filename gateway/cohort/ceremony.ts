import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as snarkjs from 'snarkjs';
import type { VerificationKey } from 'snarkjs';

/**
 * Phase 2 of the Groth16 trusted setup, one function per ceremony step. A real ceremony runs
 * initialize once (coordinator), then contribute once per member hospital, each passing the
 * previous output on and anyone able to run verify at any point, then finalize with a public
 * beacon chosen after the last contribution (a future block hash). The setup is sound as long
 * as one contributor destroyed their entropy.
 */

/** Hex of a contribution hash, the value a contributor publishes so others can find it in the transcript. */
function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** Starts phase 2 for a circuit: the zkey with no contribution, from its r1cs and a prepared ptau. */
export async function initialize(r1csPath: string, ptauPath: string, outZkey: string): Promise<void> {
  await snarkjs.zKey.newZKey(r1csPath, ptauPath, outZkey);
}

/**
 * Adds one contribution. `entropy` is mixed with the OS RNG, so a weak phrase does not weaken
 * the contribution; what matters is that this process's memory is gone afterwards.
 * Returns the contribution hash (hex).
 */
export async function contribute(inZkey: string, outZkey: string, name: string, entropy: string): Promise<string> {
  if (name.trim() === '') throw new Error('ceremony contribute: name the contributor (it goes into the transcript)');
  return hex(await snarkjs.zKey.contribute(inZkey, outZkey, name, entropy));
}

/** Checks a zkey against the circuit and the ptau: every contribution, and the final key, must verify. */
export async function verify(r1csPath: string, ptauPath: string, zkeyPath: string): Promise<boolean> {
  return snarkjs.zKey.verifyFromR1cs(r1csPath, ptauPath, zkeyPath);
}

export interface CeremonyBeacon {
  /** Public randomness fixed after the last contribution (e.g. a block hash), as hex. */
  hash: string;
  /** The beacon is iterated 2^iterationsExp times (10 is snarkjs's default). */
  iterationsExp: number;
  name: string;
}

export interface CeremonyExports {
  verificationKeyPath: string;
  solidityVerifierPath: string;
  /** Solidity contract name given to the exported verifier (each circuit needs its own). */
  contractName: string;
}

export interface FinalizedCeremony {
  beaconContributionHash: string;
  verificationKey: VerificationKey;
}

// snarkjs does not export its templates; they sit beside its build directory.
const GROTH16_TEMPLATE = join(dirname(createRequire(import.meta.url).resolve('snarkjs')), '..', 'templates', 'verifier_groth16.sol.ejs');

/** Renders the Groth16 Solidity verifier of a zkey under the given contract name. */
async function exportSolidityVerifier(zkeyPath: string, contractName: string): Promise<string> {
  if (!/^[A-Z][A-Za-z0-9]*Verifier$/.test(contractName)) {
    throw new Error(`ceremony finalize: contract name ${contractName} must look like SomethingVerifier`);
  }
  const template = await readFile(GROTH16_TEMPLATE, 'utf8');
  const solidity = await snarkjs.zKey.exportSolidityVerifier(zkeyPath, { groth16: template });
  return solidity.replace('contract Groth16Verifier {', `contract ${contractName} {`);
}

/**
 * Applies the closing beacon and exports the verification key (JSON) and the Solidity
 * verifier from the final zkey, so both come from the same setup.
 */
export async function finalize(
  inZkey: string,
  outZkey: string,
  beacon: CeremonyBeacon,
  exportTo: CeremonyExports,
): Promise<FinalizedCeremony> {
  if (!/^([0-9a-fA-F]{2})+$/.test(beacon.hash)) throw new Error('ceremony finalize: the beacon hash must be hex');
  const hash = await snarkjs.zKey.beacon(inZkey, outZkey, beacon.name, beacon.hash, beacon.iterationsExp);
  if (hash === false) throw new Error('ceremony finalize: snarkjs refused the beacon (iterationsExp must be 1..63)');
  const verificationKey = await snarkjs.zKey.exportVerificationKey(outZkey);
  await writeFile(exportTo.verificationKeyPath, `${JSON.stringify(verificationKey, null, 1)}\n`);
  await writeFile(exportTo.solidityVerifierPath, await exportSolidityVerifier(outZkey, exportTo.contractName));
  return { beaconContributionHash: hex(hash), verificationKey };
}
