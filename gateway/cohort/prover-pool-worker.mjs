// Worker of gateway/cohort/prover-pool.ts (plain JS: worker threads do not inherit a TS loader
// under every runner). Proves Groth16 proofs for one circuit with the keys it was given.
import { parentPort, workerData } from 'node:worker_threads';
import * as snarkjs from 'snarkjs';

const wasm = { type: 'mem', data: workerData.wasm };
const zkey = { type: 'mem', data: workerData.zkey };

parentPort.on('message', async ({ id, input }) => {
  try {
    // Single-threaded curve: the pool is the parallelism, and ffjavascript cannot start its own
    // thread pool from inside a worker thread anyway.
    const { proof, publicSignals } = await snarkjs.groth16.fullProve(input, wasm, zkey, undefined, undefined, { singleThread: true });
    parentPort.postMessage({ id, proof, publicSignals });
  } catch (error) {
    parentPort.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
});
