import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { deployedOnce, useEmbeddedChain } from '../../../test/support/chain-fixture.js';
import { findOnChain, readChainContent } from '../../../test/support/chain-scan.js';
import { runCli } from '../../../test/support/cli.js';
import { run } from './licence.js';

const fixture = useEmbeddedChain();
const consortium = deployedOnce(fixture, [
  { orgId: 'medical-board', roles: ['LICENSING'] },
  { orgId: 'hospital-b', roles: ['HOSPITAL'] },
]);

describe('careledger licence', () => {
  let dir: string;
  let env: Record<string, string>;
  const practitioner = Wallet.createRandom().address.toLowerCase();
  /** The command in this process (a spawned CLI costs seconds on two cores), with its output captured. */
  const licence = async (args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: string) => void out.push(`${line}\n`));
    const error = vi.spyOn(console, 'error').mockImplementation((line: string) => void err.push(`${line}\n`));
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    try {
      const code = await run(args);
      return { code, stdout: out.join(''), stderr: err.join('') };
    } finally {
      log.mockRestore();
      error.mockRestore();
      vi.unstubAllEnvs();
    }
  };

  beforeAll(async () => {
    const { chain } = fixture();
    const deployed = await consortium();
    dir = mkdtempSync(join(tmpdir(), 'careledger-licence-cli-'));
    env = {
      DATA_DIR: join(dir, 'no-node-here'),
      CHAIN_RPC_URL: chain.rpcUrl,
      CHAIN_ID: String(chain.chainId),
      CHAIN_CONTRACTS: JSON.stringify(deployed.contracts),
      CARELEDGER_MEMBER_KEY: chain.accounts[1]!.privateKey,
    };
    writeFileSync(join(dir, 'hospital.key'), `${chain.accounts[2]!.privateKey}\n`, { mode: 0o600 });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('issues (as an operator runs it), lists, verifies and revokes a credential on the chain', async () => {
    const file = join(dir, 'licence.json');
    const issued = await runCli(['licence',
      'issue', '--subject', practitioner, '--jurisdiction', 'US-MA', '--degree', 'MD',
      '--specialty', 'nucc|207RC0000X', '--specialty', 'snomed|394579002', '--number', 'MA-229104',
      '--valid-from', '2026-01-01', '--valid-until', '2099-01-01T00:00:00Z', '--out', file, '--json',
    ], env);
    expect(issued.stderr).toBe('');
    expect(issued.code).toBe(0);
    const summary = JSON.parse(issued.stdout) as { credentialHash: string; licenseNumberSalt: string; issuer: string; file: string };
    expect(summary).toMatchObject({ issuer: 'medical-board', subject: practitioner, validFrom: '2026-01-01T00:00:00Z', file });
    const credential = JSON.parse(readFileSync(file, 'utf8'));
    expect(credential.credentialSubject.specialty).toEqual([
      { system: 'http://nucc.org/provider-taxonomy', code: '207RC0000X' },
      { system: 'http://snomed.info/sct', code: '394579002' },
    ]);
    expect(readFileSync(file, 'utf8')).not.toMatch(/229104|licenseNumberSalt/);

    const verified = await licence(['verify', file]);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(new RegExp(`^valid at .*: licence ${summary.credentialHash} of ${practitioner} issued by medical-board`));
    const wrongKey = await licence(['verify', file, '--subject', Wallet.createRandom().address]);
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stdout).toMatch(/\(subject-mismatch\)/);
    const before = await licence(['verify', file, '--at', '2025-12-31']);
    expect(before.stdout).toMatch(/\(not-yet-valid\)/);

    const listed = await licence(['list', '--subject', practitioner]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`^${summary.credentialHash}  ${practitioner}  medical-board .* valid\\n$`));

    const revoked = await licence(['revoke', file]);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toMatch(new RegExp(`^licence ${summary.credentialHash} of ${practitioner} revoked at `));
    const again = await licence(['revoke', summary.credentialHash]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^careledger licence: the licence is already revoked \(AlreadyRevoked\(/);
    expect(again.stderr.trim().split('\n')).toHaveLength(1);

    const after = await licence(['verify', file, '--json']);
    expect(after.code).toBe(1);
    expect(JSON.parse(after.stdout)).toMatchObject({ ok: false, refusal: 'revoked' });
    const all = await licence(['list', '--issuer', 'medical-board', '--json']);
    expect(JSON.parse(all.stdout)).toEqual([expect.objectContaining({ credentialHash: summary.credentialHash, status: expect.stringMatching(/^revoked /) })]);

    // The chain holds the credential's hash and the practitioner's key, nothing of the licence itself.
    const content = await readChainContent(fixture().chain.rpcUrl);
    const needles = ['MA-229104', 'MA229104', 'US-MA', '207RC0000X', '394579002', credential.id.slice('urn:uuid:'.length), credential.credentialSubject.licenseNumberHash.slice(2), summary.licenseNumberSalt.slice(2)];
    expect(findOnChain(content, needles)).toEqual([]);
    expect(findOnChain(content, [summary.credentialHash.slice(2)])).toHaveLength(1);
  });

  it('refuses a HOSPITAL-only key, bad terms and missing options with one line and a non-zero exit', async () => {
    const base = ['issue', '--subject', practitioner, '--jurisdiction', 'US-MA', '--degree', 'MD', '--specialty', 'nucc|207RC0000X', '--number', 'X1', '--valid-until', '2099-01-01'];
    const hospital = await licence([...base, '--key-file', join(dir, 'hospital.key')]);
    const badJurisdiction = await licence([...base.slice(0, 4), 'Massachusetts', ...base.slice(5)]);
    const noUntil = await licence(base.slice(0, -2));
    const unknownOption = await licence(['list', '--colour']);
    expect(hospital.code).toBe(1);
    expect(hospital.stderr).toMatch(/^careledger licence: 0x[0-9a-f]{40} is not a signer of an active LICENSING member: run this where/);
    expect(badJurisdiction.code).toBe(2);
    expect(badJurisdiction.stderr).toMatch(/^careledger licence: jurisdiction "Massachusetts" is not an ISO 3166-2 code/);
    expect(noUntil.code).toBe(2);
    expect(noUntil.stderr).toMatch(/^careledger licence: --valid-until is required/);
    expect(unknownOption.code).toBe(2);
    expect(unknownOption.stderr).toMatch(/^careledger licence: Unknown option '--colour'/);
    const listed = await licence(['list', '--subject', practitioner, '--json']);
    expect(JSON.parse(listed.stdout)).toHaveLength(1);
  });
});
