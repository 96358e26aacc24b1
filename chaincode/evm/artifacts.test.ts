import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { artifactsDir, compileContracts, renderArtifactFiles } from './compile.js';

describe('committed contract artifacts', () => {
  const compiled = compileContracts();

  it('match a fresh compile of contracts/ (run `npm run build:contracts` if this fails)', () => {
    const files = renderArtifactFiles(compiled);
    for (const [path, content] of files) {
      expect(existsSync(path), `${path} is missing`).toBe(true);
      expect(readFileSync(path, 'utf8'), `${path} is stale`).toBe(content);
    }
    const committed = readdirSync(artifactsDir).map((name) => join(artifactsDir, name));
    expect(committed.filter((path) => !files.has(path)), 'artifacts without a contract').toEqual([]);
  });

  it('target london: no PUSH0 (0x5f) opcode in any deployed bytecode', () => {
    for (const artifact of compiled) {
      expect(artifact.compiler.evmVersion).toBe('london');
      expect(opcodes(artifact.deployedBytecode).includes(0x5f), `${artifact.contractName} uses PUSH0`).toBe(false);
    }
  });
});

/** Opcodes of `bytecode`, skipping PUSH immediates so data bytes are not mistaken for opcodes. */
function opcodes(bytecode: string): number[] {
  const bytes = Buffer.from(bytecode.slice(2), 'hex');
  const ops: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const op = bytes[i]!;
    if (op === 0xfe) break; // INVALID marks the start of the metadata/data section
    ops.push(op);
    if (op >= 0x60 && op <= 0x7f) i += op - 0x5f;
  }
  return ops;
}
