// careledger cohort query|show|register-trial: the researcher's side of zero-knowledge cohort
// queries, signed with the member key of $DATA_DIR (the researcher's data directory). Results
// are verified offline from the chain alone: each hospital's Groth16 proofs are read back from
// its answer transaction and re-verified with snarkjs against the committed verification keys,
// and its chunk roots are checked against its RecordsCommitted event and rebuilt into its root.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { auditQuery, type QueryResults } from '../../cohort/answer-audit.js';
import { compileCriteria, criteriaHash, validateCriteria } from '../../cohort/criteria.js';
import { describeProgress, hospitalProgress, type HospitalProgress } from '../../cohort/hospital-progress.js';
import { trialScopeId } from '../../cohort/trial-scope.js';
import { loadZkToolkit, releaseZkThreads } from '../../cohort/zk-toolkit.js';
import { loadNodeKeys } from '../../keys/node-keys.js';
import { isChainUnavailable } from '../../ledger/chain-unavailable.js';
import { CohortRejectedError } from '../../ledger/cohort-errors.js';
import { openLedgerClient } from '../../ledger/factory.js';
import type { CohortPort, Hex, LedgerClient, MemberPort } from '../../ledger/ports.js';
import { chainTarget, cohortsOf, type ChainTarget } from '../chain-target.js';

const HELP = `usage: careledger cohort <query|show|register-trial> [options]

  cohort query --criteria FILE [--min-cell 10] [--deadline-minutes 60] [--wait] [--timeout 900]
      posts a query (RESEARCHER member); with --wait, shows each active hospital's progress on
      stderr (answered, proving, not answered yet) until every one answered (or the timeout or
      the deadline), then prints the per-hospital results, each verified offline from the chain
  cohort show --query ID
      prints a query's results, verified offline from the chain
  cohort register-trial --trial ID --criteria FILE
      registers a trial's eligibility criteria (RESEARCHER or HOSPITAL member)

common options:
  --consortium FILE  consortium.json of a local consortium (default: CHAIN_RPC_URL/CHAIN_CONTRACTS,
                     then $DATA_DIR/dev.json, then $DATA_DIR/../consortium.json)
  --json             machine-readable output
The member key is read from $DATA_DIR/keys (or CARELEDGER_MEMBER_KEY).
Exit 0: done and every answer verified. Exit 1: an answer failed verification or the chain refused.
Exit 2: usage or configuration error.`;

interface Context {
  target: ChainTarget;
  ledger: LedgerClient;
  cohorts: CohortPort;
}

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      criteria: { type: 'string' },
      'min-cell': { type: 'string' },
      'deadline-minutes': { type: 'string', default: '60' },
      wait: { type: 'boolean', default: false },
      timeout: { type: 'string', default: '900' },
      query: { type: 'string' },
      trial: { type: 'string' },
      consortium: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || !sub || !['query', 'show', 'register-trial'].includes(sub)) {
    console.log(HELP);
    return values.help ? 0 : 2;
  }
  const target = chainTarget({ consortium: values.consortium });
  const signing = sub !== 'show';
  const ledger = await openLedgerClient(target, { pollingIntervalMs: 250, ...(signing ? { privateKey: memberKey() } : {}) });
  try {
    const cohorts = cohortsOf(ledger);
    const context = { target, ledger, cohorts };
    if (sub === 'show') {
      if (!values.query || !/^[1-9][0-9]*$/.test(values.query)) return usage('--query ID is required');
      return await report(context, BigInt(values.query), values.json);
    }
    if (!values.criteria) return usage('--criteria FILE is required');
    const criteria = validateCriteria(readJson(values.criteria));
    const zk = await loadZkToolkit();
    const hash = criteriaHash(zk.hash, compileCriteria(criteria));
    if (sub === 'register-trial') {
      if (!values.trial) return usage('--trial ID is required');
      const scopeId = trialScopeId(values.trial);
      const tx = await cohorts.registerTrial(scopeId, hash);
      print(values.json, { trial: values.trial, scopeId: scopeId.toString(), criteriaHash: hash.toString(), txHash: tx.txHash }, `trial ${values.trial} registered (scope ${scopeId}, criteria hash ${hash}, tx ${tx.txHash})`);
      return 0;
    }
    const floor = await cohorts.minCellSizeFloor();
    const minCellSize = values['min-cell'] ? Number(values['min-cell']) : Math.max(10, floor);
    if (!Number.isInteger(minCellSize) || minCellSize < 1) return usage('--min-cell must be a positive integer');
    const deadline = (await ledger.latestBlockTime()) + Number(values['deadline-minutes']) * 60;
    const query = await cohorts.postQuery(hash, minCellSize, deadline, JSON.stringify(criteria));
    if (!values.json) {
      console.log(`query ${query.queryId} posted: criteria hash ${hash}, minimum cell size ${minCellSize}, deadline ${new Date(deadline * 1000).toISOString()}, tx ${query.txHash}`);
    }
    if (!values.wait) {
      if (values.json) print(true, { queryId: query.queryId.toString(), criteriaHash: hash.toString(), minCellSize, deadline, txHash: query.txHash }, '');
      return 0;
    }
    await followProgress(context, query.queryId, minCellSize, Math.min(Date.now() + Number(values.timeout) * 1000, deadline * 1000));
    return await report(context, query.queryId, values.json);
  } catch (error) {
    if (error instanceof CohortRejectedError) {
      console.error(`careledger cohort: ${error.message}`);
      return 1;
    }
    throw error;
  } finally {
    await ledger.close();
    await releaseZkThreads();
  }
}

async function report(context: Context, queryId: bigint, json: boolean): Promise<number> {
  const results = await auditQuery(context.cohorts, await loadZkToolkit(), queryId);
  if (!results) {
    console.error(`careledger cohort: no query ${queryId} on chain ${context.target.chainId}`);
    return 1;
  }
  const names = await orgIds(context, results);
  const allVerified = results.answers.every((a) => a.verifiedOffChain);
  // Hospitals that have not answered are part of the result: a missing hospital is not a zero.
  const pending = (await hospitalProgress(context.cohorts, membersOf(context), queryId)).filter((p) => p.state !== 'answered');
  if (json) {
    print(true, {
      queryId: queryId.toString(),
      criteriaHash: results.query.criteriaHash.toString(),
      minCellSize: results.query.minCellSize,
      deadline: results.query.deadline,
      answers: results.answers.map((a) => ({ ...a, orgId: names.get(a.member) ?? null })),
      pending,
    }, '');
  } else {
    console.log(`query ${queryId}: ${results.answers.length} answer(s), minimum cell size ${results.query.minCellSize}`);
    for (const a of results.answers) {
      const count = a.belowMinimum ? `below threshold (< ${results.query.minCellSize})` : `${a.releasedCount} patients`;
      const offline = a.verifiedOffChain ? 'verified off chain' : `NOT verified off chain: ${a.reason}`;
      console.log(`  ${(names.get(a.member) ?? a.member).padEnd(24)} ${count.padEnd(28)} epoch ${a.epoch}  verified on chain, ${offline}  tx ${a.txHash}`);
    }
    for (const p of pending) console.log(`  ${p.orgId.padEnd(24)} ${describeProgress(p, results.query.minCellSize)}`);
  }
  return allVerified ? 0 : 1;
}

async function orgIds(context: Context, results: QueryResults): Promise<Map<Hex, string>> {
  const members = membersOf(context);
  const names = new Map<Hex, string>();
  for (const answer of results.answers) {
    const member = await members.getMemberById(answer.member);
    if (member) names.set(answer.member, member.orgId);
  }
  return names;
}

/**
 * Polls every active hospital's progress on the query until each one answered or `until` (ms),
 * printing a line on stderr whenever a hospital's state changes (stdout stays the result).
 */
async function followProgress(context: Context, queryId: bigint, minCellSize: number, until: number): Promise<void> {
  const shown = new Map<Hex, string>();
  let unreachable = false;
  for (;;) {
    let progress: HospitalProgress[];
    try {
      progress = await hospitalProgress(context.cohorts, membersOf(context), queryId);
    } catch (error) {
      // A chain that did not answer one poll (a reset connection, a busy node) is asked again
      // until the deadline; anything else (a revert, a bug) ends the wait.
      if (!isChainUnavailable(error) || Date.now() >= until) throw error;
      if (!unreachable) console.error(`the chain did not answer (${(error as Error).message}); asking again`);
      unreachable = true;
      await new Promise((r) => setTimeout(r, 1000));
      continue;
    }
    unreachable = false;
    for (const hospital of progress) {
      const line = describeProgress(hospital, minCellSize);
      if (shown.get(hospital.member) === line) continue;
      shown.set(hospital.member, line);
      console.error(`  ${hospital.orgId.padEnd(24)} ${line}`);
    }
    const waiting = progress.filter((p) => p.state !== 'answered');
    if (waiting.length === 0) {
      console.error(`every hospital answered (${progress.length})`);
      return;
    }
    if (Date.now() >= until) {
      console.error(`stopped waiting: ${waiting.length} of ${progress.length} hospitals have not answered (${waiting.map(describeWaiting).join(', ')})`);
      return;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

function describeWaiting(progress: HospitalProgress): string {
  return progress.state === 'proving' ? `${progress.orgId}: ${progress.chunksPosted} of ${progress.chunks} chunks` : progress.orgId;
}

function membersOf(context: Context): MemberPort {
  if (!context.ledger.members) throw new Error(`the chain description of ${context.target.rpcUrl} names no ConsortiumRegistry`);
  return context.ledger.members;
}

/** The member key of $DATA_DIR: the researcher posts queries, a member registers trials. */
function memberKey(): string {
  const keys = loadNodeKeys({
    dataDir: resolve(process.env.DATA_DIR ?? './data'),
    memberPrivateKey: process.env.CARELEDGER_MEMBER_KEY,
    keystorePassword: process.env.CARELEDGER_KEYSTORE_PASSWORD,
    masterKeyHex: process.env.CARELEDGER_MASTER_KEY,
    allowGenerate: false,
  });
  return keys.memberWallet.privateKey;
}

function usage(message: string): number {
  console.error(`careledger cohort: ${message}\n${HELP}`);
  return 2;
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read JSON from ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function print(json: boolean, value: unknown, text: string): void {
  console.log(json ? JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? v.toString() : v), 2) : text);
}
