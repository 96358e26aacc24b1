// Type surface of the untyped zk libraries, limited to what gateway/cohort and circuits/ use.

declare module 'snarkjs' {
  export interface Groth16Proof {
    pi_a: string[];
    pi_b: string[][];
    pi_c: string[];
    protocol: string;
    curve: string;
  }
  export interface VerificationKey {
    protocol: string;
    curve: string;
    nPublic: number;
    vk_alpha_1: string[];
    vk_beta_2: string[][];
    vk_gamma_2: string[][];
    vk_delta_2: string[][];
    IC: string[][];
    [key: string]: unknown;
  }
  export type FileRef = string | { type: 'mem'; data?: Uint8Array };
  export type CircuitInput = Record<string, unknown>;
  export interface Logger {
    debug(msg: string): void;
    info(msg: string): void;
    warn(msg: string): void;
    error(msg: string): void;
  }
  export const groth16: {
    fullProve(
      input: CircuitInput,
      wasm: FileRef,
      zkey: FileRef,
      logger?: Logger,
    ): Promise<{ proof: Groth16Proof; publicSignals: string[] }>;
    prove(zkey: FileRef, witness: FileRef, logger?: Logger): Promise<{ proof: Groth16Proof; publicSignals: string[] }>;
    verify(vkey: VerificationKey, publicSignals: string[], proof: Groth16Proof, logger?: Logger): Promise<boolean>;
    exportSolidityCallData(proof: Groth16Proof, publicSignals: string[]): Promise<string>;
  };
  export const wtns: {
    calculate(input: CircuitInput, wasm: FileRef, out: FileRef): Promise<void>;
    exportJson(wtns: FileRef): Promise<bigint[]>;
  };
  export const powersOfTau: {
    newAccumulator(curve: unknown, power: number, fileName: string, logger?: Logger): Promise<unknown>;
    beacon(oldPtau: string, newPtau: string, name: string, beaconHash: string, iterationsExp: number, logger?: Logger): Promise<unknown>;
    preparePhase2(oldPtau: string, newPtau: string, logger?: Logger): Promise<unknown>;
  };
  export const zKey: {
    newZKey(r1cs: string, ptau: string, zkey: string, logger?: Logger): Promise<unknown>;
    contribute(oldZkey: string, newZkey: string, name: string, entropy: string, logger?: Logger): Promise<Uint8Array>;
    beacon(oldZkey: string, newZkey: string, name: string, beaconHash: string, iterationsExp: number, logger?: Logger): Promise<Uint8Array | false>;
    verifyFromR1cs(r1cs: string, ptau: string, zkey: string, logger?: Logger): Promise<boolean>;
    exportVerificationKey(zkey: FileRef, logger?: Logger): Promise<VerificationKey>;
    exportSolidityVerifier(zkey: string, templates: Record<string, string>, logger?: Logger): Promise<string>;
  };
  export const r1cs: {
    info(r1cs: string, logger?: Logger): Promise<unknown>;
  };
  export const curves: {
    getCurveFromName(name: string): Promise<unknown>;
  };
}

declare module 'circom_runtime' {
  export interface WitnessCalculator {
    /** The witness in the .wtns binary format snarkjs and the native prover read. */
    calculateWTNSBin(input: Record<string, unknown>, sanityCheck: boolean | 0 | 1): Promise<Uint8Array>;
  }
  export function WitnessCalculatorBuilder(wasm: Uint8Array, options?: Record<string, unknown>): Promise<WitnessCalculator>;
}

declare module 'circomlibjs' {
  export interface FieldOps {
    toObject(element: Uint8Array): bigint;
    e(value: bigint | number | string): Uint8Array;
    p: bigint;
  }
  export interface PoseidonFn {
    (inputs: (bigint | number)[]): Uint8Array;
    F: FieldOps;
  }
  export function buildPoseidon(): Promise<PoseidonFn>;
  export type Point = [Uint8Array, Uint8Array];
  export interface BabyJub {
    F: FieldOps;
    Base8: Point;
    subOrder: bigint;
    addPoint(a: Point, b: Point): Point;
    mulPointEscalar(base: Point, e: bigint | number): Point;
    inSubgroup(p: Point): boolean;
  }
  export function buildBabyjub(): Promise<BabyJub>;
  export interface PedersenHash {
    getBasePoint(baseHashType: string, index: number): Point;
  }
  export function buildPedersenHash(): Promise<PedersenHash>;
}
