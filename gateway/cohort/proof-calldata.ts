import type { Groth16Proof } from 'snarkjs';
import type { ProofCalldata } from '../ledger/ports.js';
import type { Groth16Result } from './circuit-prover.js';

/**
 * snarkjs proof <-> the verifier contracts' encoding. The EVM pairing precompile takes G2
 * coordinates as (c1, c0), snarkjs writes them (c0, c1): B's pairs are swapped both ways.
 */
export function toProofCalldata(result: Groth16Result): ProofCalldata {
  const { pi_a: a, pi_b: b, pi_c: c } = result.proof;
  return {
    a: [BigInt(a[0]!), BigInt(a[1]!)],
    b: [
      [BigInt(b[0]![1]!), BigInt(b[0]![0]!)],
      [BigInt(b[1]![1]!), BigInt(b[1]![0]!)],
    ],
    c: [BigInt(c[0]!), BigInt(c[1]!)],
    signals: result.publicSignals.map(BigInt),
  };
}

export function fromProofCalldata(calldata: ProofCalldata): Groth16Result {
  const proof: Groth16Proof = {
    pi_a: [String(calldata.a[0]), String(calldata.a[1]), '1'],
    pi_b: [
      [String(calldata.b[0][1]), String(calldata.b[0][0])],
      [String(calldata.b[1][1]), String(calldata.b[1][0])],
      ['1', '0'],
    ],
    pi_c: [String(calldata.c[0]), String(calldata.c[1]), '1'],
    protocol: 'groth16',
    curve: 'bn128',
  };
  return { proof, publicSignals: calldata.signals.map(String) };
}
