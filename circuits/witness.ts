import * as snarkjs from 'snarkjs';
import type { CircuitInput } from '../gateway/cohort/circuit-inputs.js';
import { circuitArtifacts, type CohortCircuit } from '../gateway/cohort/artifacts.js';

/**
 * Runs a circuit's committed witness generator. It evaluates every constraint, so an input that
 * violates one throws; on success it returns the public outputs (witness[1..nOutputs]).
 */
export async function witnessOutputs(circuit: CohortCircuit, input: CircuitInput, nOutputs: number): Promise<bigint[]> {
  const wtns = { type: 'mem' as const };
  await snarkjs.wtns.calculate(input, circuitArtifacts(circuit).wasm, wtns);
  const witness = await snarkjs.wtns.exportJson(wtns);
  return witness.slice(1, 1 + nOutputs);
}
