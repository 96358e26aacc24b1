// Cohort queries on a real anvil with two hospitals, one of which holds no patient records: the
// empty one answers too (no chunks, a release proof of a zero total: below the threshold, proved
// and audited like any answer), and the researcher's `careledger cohort query --wait` (a real CLI
// process) shows each hospital's progress and returns as soon as both answered. The hospitals run
// the node's own cohort capability (service, epoch committer, query worker) in this process.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useEmbeddedChain, deployedOnce } from '../../test/support/chain-fixture.js';
import { runCli } from '../../test/support/cli.js';
import { MemoryResourceService } from '../../test/support/memory-resource-service.js';
import { cohortRegistryInterface } from '../ledger/evm/cohort-port.js';
import { TxSender } from '../ledger/evm/tx-sender.js';
import { openLedgerClient } from '../ledger/factory.js';
import type { Hex, LedgerClient } from '../ledger/ports.js';
import type { FhirResource } from '../store/service.js';
import { startCohortCapability, type CohortCapability } from './cohort-capability.js';
import { compileCriteria, criteriaHash, type CohortCriteria } from './criteria.js';
import { describeProgress, hospitalProgress } from './hospital-progress.js';
import { loadPoseidon } from './poseidon.js';
import type { CohortRecordIndex } from './record-index.js';

const fixture = useEmbeddedChain();
const deployed = deployedOnce(
  fixture,
  [
    { orgId: 'hospital-full', roles: ['HOSPITAL'] },
    { orgId: 'hospital-empty', roles: ['HOSPITAL'] },
    { orgId: 'research-r', roles: ['RESEARCHER'] },
  ],
  { minCellSizeFloor: 2 },
);
const ADULTS: CohortCriteria = [{ ageAtDateBetween: { date: '2025-01-01', min: 18, max: 110 } }];
const MIN_CELL = 2;

/** The store's patients, in id order, with nothing linked to them: all the features these tests need. */
function patientIndex(ids: string[]): CohortRecordIndex {
  return { livePatientIds: async () => [...ids].sort(), linkedToPatients: async () => [] };
}

describe('cohort queries with a hospital that holds no patient records', () => {
  const clients: LedgerClient[] = [];
  const capabilities: CohortCapability[] = [];
  const logs: string[] = [];
  let contracts: Record<string, Hex>;
  let firstQuery: { queryId: string; answers: Array<{ orgId: string; releasedCount: number; belowMinimum: boolean; verifiedOffChain: boolean; txHash: Hex }> };

  const cli = (args: string[]) => {
    const { chain, dataDir } = fixture();
    return runCli(['cohort', ...args], {
      CHAIN_RPC_URL: chain.rpcUrl,
      CHAIN_ID: String(chain.chainId),
      CHAIN_CONTRACTS: JSON.stringify(contracts),
      CARELEDGER_MEMBER_KEY: chain.accounts[3]!.privateKey,
      CARELEDGER_MASTER_KEY: randomBytes(32).toString('hex'),
      DATA_DIR: dataDir,
    }, 120_000);
  };

  beforeAll(async () => {
    const { chain } = fixture();
    contracts = (await deployed()).contracts as Record<string, Hex>;
    const full = new MemoryResourceService();
    const ids = ['p1', 'p2', 'p3'];
    for (const [i, id] of ids.entries()) {
      await full.update('Patient', id, { resourceType: 'Patient', id, gender: 'female', birthDate: `196${i}-04-02` } as FhirResource);
    }
    const stores = [
      { store: full, index: patientIndex(ids) },
      { store: new MemoryResourceService(), index: patientIndex([]) },
    ];
    const log = Fastify({ logger: { level: 'info', stream: { write: (line: string) => logs.push(line) } } }).log;
    for (const [i, { store, index }] of stores.entries()) {
      const account = chain.accounts[i + 1]!;
      const client = await openLedgerClient({ kind: 'evm', rpcUrl: chain.rpcUrl, chainId: chain.chainId, contracts }, { privateKey: account.privateKey, pollingIntervalMs: 100 });
      clients.push(client);
      const self = await client.members!.getMember(account.address as Hex);
      const capability = await startCohortCapability({
        records: index,
        store,
        masterKey: randomBytes(32),
        cohorts: client.cohorts!,
        members: client.members!,
        self: { memberId: self!.memberId, signer: account.address as Hex },
        pollIntervalMs: 200,
      });
      capabilities.push(capability);
      capability.start(log.child({ orgId: self!.orgId }));
    }
  }, 60_000);

  afterAll(async () => {
    for (const capability of capabilities) await capability.close();
    for (const client of clients) await client.close();
  });

  it('is answered by both hospitals, the empty one below the threshold with verified proofs, and --wait returns once both answered', async () => {
    const criteriaFile = join(fixture().dataDir, 'adults.json');
    writeFileSync(criteriaFile, JSON.stringify(ADULTS));
    const started = Date.now();
    const run = await cli(['query', '--criteria', criteriaFile, '--min-cell', String(MIN_CELL), '--wait', '--timeout', '110', '--json']);
    const seconds = (Date.now() - started) / 1000;
    expect(run.code, run.stderr).toBe(0);
    console.info(`cohort query --wait returned after ${seconds.toFixed(1)} s`);
    expect(seconds).toBeLessThan(90);
    firstQuery = JSON.parse(run.stdout);
    const byOrg = Object.fromEntries(firstQuery.answers.map((a) => [a.orgId, a]));
    expect(byOrg['hospital-full']).toMatchObject({ releasedCount: 3, belowMinimum: false, verifiedOffChain: true });
    expect(byOrg['hospital-empty']).toMatchObject({ releasedCount: 0, belowMinimum: true, verifiedOffChain: true });
    expect(JSON.parse(run.stdout).pending).toEqual([]);
    expect(run.stderr).toMatch(/hospital-empty\s+answered: below threshold \(< 2\)/);
    expect(run.stderr).toMatch(/hospital-full\s+answered: 3 patients/);
    expect(run.stderr).toContain('every hospital answered (2)');
    // The empty hospital committed an empty tree (0 records, 0 chunk roots) and answered; it skipped nothing.
    const empty = logs.map((line) => JSON.parse(line)).filter((entry) => entry.orgId === 'hospital-empty');
    expect(empty.filter((entry) => entry.msg === 'answered a cohort query').map((entry) => entry.chunks)).toEqual([0]);
    expect(empty.filter((entry) => entry.msg === 'skipped a cohort query')).toEqual([]);
  }, 150_000);

  it('reports a hospital whose chunk proofs are on chain as proving, and one without any as not answered yet', async () => {
    for (const capability of capabilities) await capability.close();
    const { chain, provider } = fixture();
    const researcher = await openLedgerClient({ kind: 'evm', rpcUrl: chain.rpcUrl, chainId: chain.chainId, contracts }, { privateKey: chain.accounts[3]!.privateKey });
    clients.push(researcher);
    const cohorts = researcher.cohorts!;
    const hash = criteriaHash(await loadPoseidon(), compileCriteria(ADULTS));
    // A document that does not match its hash: no hospital worker would answer it.
    const query = await cohorts.postQuery(hash, MIN_CELL, (await researcher.latestBlockTime()) + 3600, '"not for the workers"');
    const states = async () => (await hospitalProgress(cohorts, researcher.members!, query.queryId)).map((p) => [p.orgId, describeProgress(p, MIN_CELL)]);
    expect(await states()).toEqual([
      ['hospital-full', 'not answered yet'],
      ['hospital-empty', 'not answered yet'],
    ]);
    // The full hospital posts its one chunk proof (the same proofs as before: they carry the same criteria hash) without the release.
    const full = firstQuery.answers.find((a) => a.orgId === 'hospital-full')!;
    const proofs = await cohorts.answerProofs(full.txHash);
    const sender = new TxSender(new Wallet(chain.accounts[1]!.privateKey, provider), provider, chain.chainId, { gasPrice: 0n, confirmTimeoutMs: 30_000 });
    await sender.send(cohorts.contract, cohortRegistryInterface.encodeFunctionData('postAnswerChunks', [query.queryId, proofs.epoch, 0n, proofs.chunks]));
    expect(await states()).toEqual([
      ['hospital-full', 'proving: 1 of 1 chunk proofs on chain'],
      ['hospital-empty', 'not answered yet'],
    ]);
    const shown = await cli(['show', '--query', query.queryId.toString()]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/hospital-full\s+proving: 1 of 1 chunk proofs on chain/);
    expect(shown.stdout).toMatch(/hospital-empty\s+not answered yet/);
  }, 60_000);
});
