// Compiles every Solidity file under contracts/ with the npm solc (a pinned WASM build, so every
// machine produces byte-identical artifacts) and renders the committed artifact files.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const solc = require('solc') as { compile(input: string): string; version(): string };

const evmDir = dirname(fileURLToPath(import.meta.url));
const contractsDir = join(evmDir, 'contracts');
export const artifactsDir = join(evmDir, 'artifacts');
const artifactsModule = join(evmDir, 'artifacts.ts');

/**
 * Besu's QBFT networks in the field run the london milestone or later, and anvil runs the same
 * fork here (`--hardfork london`) so dev and production execute identical bytecode. shanghai
 * would emit PUSH0, which a london chain rejects as an invalid opcode at deploy time.
 */
export const EVM_VERSION = 'london';
const OPTIMIZER_RUNS = 200;

export interface ContractArtifact {
  contractName: string;
  sourceName: string;
  compiler: { version: string; evmVersion: string; optimizerRuns: number };
  abi: readonly unknown[];
  bytecode: `0x${string}`;
  deployedBytecode: `0x${string}`;
}

interface SolcOutput {
  errors?: { severity: 'error' | 'warning' | 'info'; formattedMessage: string }[];
  contracts?: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }>>;
}

function solidityFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return solidityFiles(path);
      return entry.name.endsWith('.sol') ? [path] : [];
    })
    .sort();
}

/** Compiles all sources; interfaces and abstract contracts (no bytecode) yield no artifact. */
export function compileContracts(dir: string = contractsDir): ContractArtifact[] {
  const sources: Record<string, { content: string }> = {};
  for (const file of solidityFiles(dir)) {
    sources[relative(dir, file).split('\\').join('/')] = { content: readFileSync(file, 'utf8') };
  }
  const input = {
    language: 'Solidity',
    sources,
    settings: {
      evmVersion: EVM_VERSION,
      optimizer: { enabled: true, runs: OPTIMIZER_RUNS },
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as SolcOutput;
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length > 0) throw new Error(`solc failed:\n${errors.map((e) => e.formattedMessage).join('\n')}`);

  const compiler = { version: solc.version(), evmVersion: EVM_VERSION, optimizerRuns: OPTIMIZER_RUNS };
  const artifacts: ContractArtifact[] = [];
  for (const [sourceName, contracts] of Object.entries(output.contracts ?? {})) {
    for (const [contractName, out] of Object.entries(contracts)) {
      if (out.evm.bytecode.object === '') continue;
      if (artifacts.some((a) => a.contractName === contractName)) {
        throw new Error(`two contracts are named ${contractName}; artifact names must be unique`);
      }
      artifacts.push({
        contractName,
        sourceName,
        compiler,
        abi: out.abi,
        bytecode: `0x${out.evm.bytecode.object}`,
        deployedBytecode: `0x${out.evm.deployedBytecode.object}`,
      });
    }
  }
  return artifacts.sort((a, b) => a.contractName.localeCompare(b.contractName));
}

/** The committed files for `artifacts`, keyed by absolute path. */
export function renderArtifactFiles(artifacts: ContractArtifact[]): Map<string, string> {
  const files = new Map<string, string>();
  for (const artifact of artifacts) {
    files.set(join(artifactsDir, `${artifact.contractName}.json`), `${JSON.stringify(artifact, null, 2)}\n`);
  }
  const names = artifacts.map((a) => a.contractName);
  files.set(
    artifactsModule,
    [
      '// Written by chaincode/evm/build.ts from contracts/*.sol; run `npm run build:contracts` after',
      '// changing a contract. artifacts.test.ts fails when this file or the JSON is stale.',
      "import type { ContractArtifact } from './compile.js';",
      ...names.map((n) => `import ${n} from './artifacts/${n}.json' with { type: 'json' };`),
      '',
      'export type ContractName =',
      ...names.map((n, i) => `  | '${n}'${i === names.length - 1 ? ';' : ''}`),
      '',
      'export const artifacts: Record<ContractName, ContractArtifact> = {',
      ...names.map((n) => `  ${n}: ${n} as ContractArtifact,`),
      '};',
      '',
    ].join('\n'),
  );
  return files;
}
