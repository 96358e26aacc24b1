// The trust root, attacked as issue 13 describes: the project's own registries deployed a second
// time on the same chain, with a member whose org id equals the real hospital's (so the member id
// is the same) and the attacker's key as its signer, anchoring a tampered Patient as a one-leaf
// batch. `careledger verify` (trust file, or the node's DATA_DIR) and $verify-anchor reject it by
// `trust-contract`; the genuine receipt still verifies; without any trust root verify refuses.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployConsortium } from '../network/deploy.js';
import { canonicalizeResource } from '../gateway/crypto/canonical.js';
import { leafHash, newSalt, sha256, versionKey } from '../gateway/crypto/digest.js';
import { MerkleTree } from '../gateway/crypto/merkle.js';
import { connectEvmLedger } from '../gateway/ledger/evm/connect.js';
import type { Hex } from '../gateway/ledger/ports.js';
import { parseReceipt } from '../gateway/receipts/format.js';
import { issueReceipt } from '../gateway/receipts/issue.js';
import { buildProvenance } from '../gateway/receipts/provenance.js';
import { runCli, type CliRun } from './support/cli.js';
import { awaitReceipt } from './support/receipts.js';
import { startTestNode, type TestNode } from './support/test-node.js';

const ZERO = `0x${'0'.repeat(64)}` as Hex;

describe('trust root: look-alike registries on the same chain', () => {
  let node: TestNode;
  let work: string;
  let patient: Record<string, any>;
  let genuine: Record<string, any>;
  let forged: Record<string, any>;
  let tampered: Record<string, any>;
  let trustFile: string;
  let fingerprint: string;

  const file = (name: string, value: unknown): string => {
    const path = join(work, name);
    writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
    return path;
  };
  /** The CLI as a payer runs it, with no node configuration unless `env` gives one. */
  const cli = (args: string[], env: Record<string, string> = {}): Promise<CliRun> =>
    runCli(args, { DATA_DIR: join(work, 'no-node'), CHAIN_RPC_URL: '', CHAIN_CONTRACTS: '', ...env });
  const verifyArgs = (resource: unknown, receipt: unknown, ...extra: string[]): string[] => [
    'verify',
    '--resource',
    file(`resource-${Math.random()}.json`, resource),
    '--receipt',
    file(`receipt-${Math.random()}.json`, receipt),
    ...extra,
  ];

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'careledger-trust-'));
    node = await startTestNode();
    const created = await fetch(`${node.fhirBase}/Patient`, {
      method: 'POST',
      headers: { authorization: `Bearer ${node.token}`, 'content-type': 'application/fhir+json' },
      body: JSON.stringify({ resourceType: 'Patient', gender: 'female', birthDate: '1970-04-01', name: [{ family: 'Genuine', given: ['Ada'] }] }),
    });
    expect(created.status).toBe(201);
    patient = (await created.json()) as Record<string, any>;
    genuine = await awaitReceipt(node, `Patient/${patient.id}`, '1');

    // The attacker: the same contracts deployed again by an account of its own, one member with
    // the hospital's org id and the attacker's key, a tampered Patient anchored as a one-leaf batch.
    const embedded = node.chain.embedded!;
    const attacker = embedded.accounts[7]!;
    const lookalike = await deployConsortium({
      rpcUrl: embedded.rpcUrl,
      chainId: embedded.chainId,
      deployerKey: attacker.privateKey as Hex,
      members: [{ orgId: node.config.orgId, roles: ['HOSPITAL'], signer: attacker.address as Hex }],
      dataDir: join(work, 'lookalike'),
    });
    const ledger = await connectEvmLedger({ kind: 'evm', ...lookalike, privateKey: attacker.privateKey as Hex, pollingIntervalMs: 50 });
    expect(ledger.anchors.memberId).toBe(node.chain.memberId);
    tampered = { ...patient, birthDate: '1901-01-01', name: [{ family: 'Forged', given: ['Eve'] }] };
    const digest = sha256(canonicalizeResource(tampered));
    const salt = newSalt();
    const tree = MerkleTree.build([leafHash(salt, versionKey('Patient', patient.id, '1'), digest)]);
    const anchor = await ledger.anchors.submitAnchor({ sequence: 1n, root: `0x${tree.root.toString('hex')}`, leafCount: 1, prevRoot: ZERO });
    await ledger.close();
    forged = issueReceipt({ type: 'Patient', id: patient.id, versionId: '1', digest, salt, leafIndex: 0 }, tree, anchor);
    expect(forged.anchor.member).toBe(genuine.anchor.member);

    trustFile = join(work, 'consortium.trust.json');
    const exported = await cli(['trust', 'export', '--out', trustFile], { DATA_DIR: node.dataDir });
    expect(exported.stderr).toBe('');
    expect(exported.code).toBe(0);
    fingerprint = /fingerprint: (sha256:[0-9a-f]{64})/.exec(exported.stdout)![1]!;
  }, 120_000);

  afterAll(async () => {
    await node?.dispose();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('exports a trust file pinning the node chain and registries, whose fingerprint `trust show` repeats', async () => {
    const trust = JSON.parse(readFileSync(trustFile, 'utf8'));
    expect(trust).toMatchObject({
      format: 'careledger-trust/1',
      ledger: 'evm',
      chainId: node.chain.descriptor.chainId,
      genesisHash: expect.stringMatching(/^0x[0-9a-f]{64}$/),
      contracts: {
        ConsortiumRegistry: node.chain.descriptor.contracts.ConsortiumRegistry.toLowerCase(),
        AnchorRegistry: node.chain.descriptor.contracts.AnchorRegistry.toLowerCase(),
      },
    });
    expect(Object.keys(trust.contracts).every((name) => name.endsWith('Registry'))).toBe(true);
    const shown = await cli(['trust', 'show', trustFile]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`fingerprint: ${fingerprint}`);
  });

  it('verify --trust: the genuine receipt is valid, with the member as it was at the anchoring block', async () => {
    const run = await cli(verifyArgs(patient, genuine, '--trust', trustFile, '--rpc', node.chain.descriptor.rpcUrl));
    expect(run.code).toBe(0);
    const [verdict, member, trust] = run.stdout.trim().split('\n');
    expect(verdict).toBe('valid');
    expect(member).toBe(
      `member: member ${node.config.orgId} (${genuine.anchor.member}): active HOSPITAL at block ${genuine.anchor.blockNumber} via signer ${genuine.anchor.submitter}; today: active`,
    );
    expect(trust).toContain(fingerprint);
  });

  it('verify --trust: the look-alike registry anchor of a tampered Patient fails `trust-contract`', async () => {
    const run = await cli(verifyArgs(tampered, forged, '--trust', trustFile, '--rpc', node.chain.descriptor.rpcUrl));
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(new RegExp(`^invalid: trust-contract: The receipt names AnchorRegistry ${forged.anchor.contract} on chain ${forged.anchor.chainId}`));
  });

  it('verify without --trust pins the node in DATA_DIR, not the registry the receipt names', async () => {
    // Before the fix this printed `valid` and exited 0: the registry came from the receipt.
    const run = await cli(verifyArgs(tampered, forged), { DATA_DIR: node.dataDir });
    expect(run.stdout).toMatch(/^invalid: trust-contract: /);
    expect(run.code).toBe(1);
  });

  it('verify takes a Provenance only when what it claims is its receipt', async () => {
    const provenance = buildProvenance(parseReceipt(genuine));
    const retargeted = { ...provenance, target: [{ reference: `Patient/other/_history/1` }] };
    const rpc = ['--trust', trustFile, '--rpc', node.chain.descriptor.rpcUrl];
    const [carried, claimed] = await Promise.all([cli(verifyArgs(patient, provenance, ...rpc)), cli(verifyArgs(patient, retargeted, ...rpc))]);
    expect(carried.stdout.split('\n')[0]).toBe('valid');
    expect(claimed.stdout).toMatch(new RegExp(`^invalid: format: The Provenance targets Patient/other/_history/1, but its receipt covers Patient/${patient.id}/_history/1`));
    expect(claimed.code).toBe(1);
  });

  it('$verify-anchor rejects the forged receipt by `trust-contract` and checks the member of the genuine one', async () => {
    const ask = async (resource: unknown, receipt: unknown) => {
      const response = await node.app.inject({
        method: 'POST',
        url: '/fhir/$verify-anchor',
        headers: { authorization: `Bearer ${node.token}`, 'content-type': 'application/fhir+json' },
        payload: { resourceType: 'Parameters', parameter: [{ name: 'resource', resource }, { name: 'receipt', valueString: JSON.stringify(receipt) }] },
      });
      expect(response.statusCode).toBe(200);
      return response.json().parameter as Array<{ name: string; valueBoolean?: boolean; valueCode?: string; part?: Array<Record<string, unknown>> }>;
    };
    const refused = await ask(tampered, forged);
    expect(refused.find((p) => p.name === 'valid')?.valueBoolean).toBe(false);
    expect(refused.find((p) => p.name === 'failedCheck')?.valueCode).toBe('trust-contract');

    const accepted = await ask(patient, genuine);
    expect(accepted.find((p) => p.name === 'valid')?.valueBoolean).toBe(true);
    const member = accepted.filter((p) => p.name === 'check').find((p) => p.part?.[0]?.valueCode === 'member');
    expect(member?.part).toEqual([
      { name: 'name', valueCode: 'member' },
      { name: 'passed', valueBoolean: true },
      { name: 'detail', valueString: expect.stringMatching(/active HOSPITAL at block \d+ via signer 0x[0-9a-f]{40}; today: active$/) },
    ]);
  });

  it('without a trust file or a node in DATA_DIR, verify refuses to say valid and says why (exit 2)', async () => {
    const run = await cli(verifyArgs(patient, genuine, '--rpc', node.chain.descriptor.rpcUrl));
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/could not verify: no trust root, so nothing can be called valid: pass --trust FILE/);
  });

  // Malformed trust files are refused by the parser (gateway/receipts/trust-file.test.ts).
  it('a trust file for another chain (genesis hash or chain id) is a clear error with exit 2', async () => {
    const trust = JSON.parse(readFileSync(trustFile, 'utf8'));
    const otherGenesis = file('other-genesis.json', { ...trust, genesisHash: `0x${'ab'.repeat(32)}` });
    const otherChain = file('other-chain.json', { ...trust, chainId: trust.chainId + 1 });
    const rpc = ['--rpc', node.chain.descriptor.rpcUrl];
    const [genesis, chain] = await Promise.all([
      cli(verifyArgs(patient, genuine, '--trust', otherGenesis, ...rpc)),
      cli(verifyArgs(patient, genuine, '--trust', otherChain, ...rpc)),
    ]);
    for (const run of [genesis, chain]) {
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
    }
    expect(genesis.stderr).toMatch(/the chain reached is chain \d+ with genesis 0x[0-9a-f]{64}, the trust file pins chain \d+ with genesis 0xabab/);
    expect(chain.stderr).toMatch(new RegExp(`the chain reached is chain ${trust.chainId} .*the trust file pins chain ${trust.chainId + 1}`));
  });
});
