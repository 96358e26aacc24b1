import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chainTarget } from './chain-target.js';

const dir = mkdtempSync(join(tmpdir(), 'careledger-chain-target-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const chain = { rpcUrl: 'http://127.0.0.1:8545', chainId: 31337, contracts: { ConsortiumRegistry: `0x${'1'.repeat(40)}`, AnchorRegistry: `0x${'2'.repeat(40)}` } };
const file = (name: string, content: object) => {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(content));
  return path;
};

describe('chainTarget', () => {
  it('reads the ledger kind a dev.json or consortium file names first', () => {
    expect(chainTarget({ consortium: file('dev.json', { ledger: 'evm', ...chain }) })).toEqual({ kind: 'evm', ...chain });
  });

  it('reads files written before they named their ledger as EVM chains', () => {
    expect(chainTarget({ consortium: file('old.json', chain) })).toEqual({ kind: 'evm', ...chain });
  });

  it('refuses a Fabric chain until that backend is built, naming the file', () => {
    const path = file('fabric.json', { ledger: 'fabric', ...chain });
    expect(() => chainTarget({ consortium: path })).toThrow(`the ledger of ${path} must be "evm": the Fabric backend is not built yet`);
  });
});
