// The Groth16 backend setting, kept free of the provers' imports so config can read it at start.

/**
 * native: circuits/native-prover, about 10x faster than snarkjs on this machine (docs/zk.md).
 * snarkjs: its WebAssembly prover, the fallback where no C compiler is available.
 */
export type ProverBackend = 'native' | 'snarkjs';

/** CARELEDGER_ZK_PROVER picks the backend; `auto` (the default) is native when it builds. */
export function configuredBackend(value: string | undefined = process.env.CARELEDGER_ZK_PROVER): ProverBackend | 'auto' {
  if (value === undefined || value === '' || value === 'auto') return 'auto';
  if (value === 'native' || value === 'snarkjs') return value;
  throw new Error(`CARELEDGER_ZK_PROVER must be auto, native or snarkjs, got "${value}"`);
}
