import type { FastifyBaseLogger } from 'fastify';
import { CohortRejectedError } from '../ledger/cohort-errors.js';
import type { CohortPort, CohortQueryRecord, Hex } from '../ledger/ports.js';
import type { AnswerBlindings } from './answer-blindings.js';
import { answerCohortQuery } from './cohort-query-prover.js';
import { compileCriteria, criteriaHash, validateCriteria } from './criteria.js';
import type { EpochCommitter } from './epoch-committer.js';
import { toProofCalldata } from './proof-calldata.js';
import type { ZkToolkit } from './zk-toolkit.js';

/** A query that failed for a reason that may pass (chain unreachable) is retried this often. */
const MAX_ATTEMPTS = 3;

export interface QueryWorkerOptions {
  cohorts: CohortPort;
  memberId: Hex;
  committer: EpochCommitter;
  /** Chunk blindings derived from the node's key, so that an answer interrupted mid-way can be completed. */
  blindings: AnswerBlindings;
  zk: () => Promise<ZkToolkit>;
  intervalMs: number;
  now?: () => number;
}

export type QueryOutcome =
  | { queryId: bigint; status: 'answered'; releasedCount: number; belowMinimum: boolean; txHash: Hex; gasUsed: bigint; proveSeconds: number }
  | { queryId: bigint; status: 'skipped'; reason: string };

/**
 * The hospital's side of cohort queries: follows QueryPosted events, and for each open query it
 * has not answered checks that the posted criteria compile to the posted hash, commits its
 * records if they changed, proves chunk by chunk and posts the answer. One query at a time: the
 * prover already uses every core, and the event loop gets a turn between chunks. After a restart
 * the scan starts again from the first block: answered and closed queries are skipped cheaply,
 * and a query seen but not yet answered before the restart is not lost; a large answer posted in
 * part before the restart is proved again (same blindings, so the same commitments) and the port
 * posts the rest.
 */
export class CohortQueryWorker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private log: FastifyBaseLogger | undefined;
  private readonly pending: { query: CohortQueryRecord; attempts: number }[] = [];
  private readonly now: () => number;
  private scanned = -1;

  constructor(private readonly options: QueryWorkerOptions) {
    this.now = options.now ?? Date.now;
  }

  useLogger(log: FastifyBaseLogger): void {
    this.log = log;
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick()
        .catch((error: unknown) => this.log?.warn({ err: error }, 'following the cohort registry failed; retrying'))
        .finally(() => this.schedule(this.options.intervalMs));
    }, delayMs);
  }

  private async tick(): Promise<void> {
    const { cohorts } = this.options;
    const latest = await cohorts.latestBlock();
    if (latest > this.scanned) {
      for (const event of await cohorts.events(this.scanned + 1, latest)) {
        if (event.kind === 'query') this.pending.push({ query: event.query, attempts: 0 });
      }
      this.scanned = latest;
    }
    while (this.pending.length > 0 && !this.stopped) {
      const item = this.pending[0]!;
      try {
        this.emit(await this.answer(item.query));
        this.pending.shift();
      } catch (error) {
        item.attempts += 1;
        const final = error instanceof CohortRejectedError || item.attempts >= MAX_ATTEMPTS;
        this.log?.warn({ err: error, queryId: item.query.queryId.toString(), final }, 'answering a cohort query failed');
        if (!final) return;
        this.pending.shift();
        this.emit({ queryId: item.query.queryId, status: 'skipped', reason: error instanceof Error ? error.message : String(error) });
      }
    }
  }

  private async answer(query: CohortQueryRecord): Promise<QueryOutcome> {
    const { cohorts, memberId } = this.options;
    const skip = (reason: string): QueryOutcome => ({ queryId: query.queryId, status: 'skipped', reason });
    if (query.deadline * 1000 <= this.now()) return skip('the deadline passed');
    if (await cohorts.getAnswer(query.queryId, memberId)) return skip('already answered');
    const zk = await this.options.zk();
    let criteria;
    try {
      criteria = validateCriteria(JSON.parse(query.criteria));
    } catch (error) {
      return skip(`the criteria document is not valid: ${error instanceof Error ? error.message : String(error)}`);
    }
    // The hash on chain is what the proofs bind; the document is only what we evaluate.
    if (criteriaHash(zk.hash, compileCriteria(criteria)) !== query.criteriaHash) return skip('the criteria document does not match the posted criteria hash');
    // A hospital without patient records answers too (zero chunks, a release proof of a zero
    // total, below any threshold): otherwise a researcher waits for it until the deadline.
    const snapshot = await this.options.committer.current();
    const partial = await cohorts.answerProgress(query.queryId, memberId);
    // The contract never restarts a partial answer, so it can only be completed over its epoch.
    if (partial && partial.epoch !== snapshot.epoch) {
      return skip(`${partial.nextIndex} chunks of an answer over epoch ${partial.epoch} are on chain and the records changed since (epoch ${snapshot.epoch})`);
    }
    const started = performance.now();
    const answer = await answerCohortQuery(
      { hash: zk.hash, commitments: zk.commitments, count: zk.provers.count, release: zk.provers.release },
      snapshot.records,
      criteria,
      query.minCellSize,
      undefined,
      this.options.blindings.of(cohorts.contract, query.queryId, snapshot.epoch, zk.commitments.subOrder),
    );
    const proveSeconds = (performance.now() - started) / 1000;
    if (partial) {
      const posted = answer.chunks
        .slice(0, partial.nextIndex)
        .reduce((sum, chunk) => zk.commitments.add(sum, [BigInt(chunk.publicSignals[0]!), BigInt(chunk.publicSignals[1]!)]), zk.commitments.identity);
      if (posted[0] !== partial.aggregate[0] || posted[1] !== partial.aggregate[1]) {
        return skip(`the ${partial.nextIndex} chunks on chain commit to other counts or blindings than this node proves now`);
      }
    }
    const posted = await cohorts.postAnswer(query.queryId, snapshot.epoch, answer.chunks.map(toProofCalldata), toProofCalldata(answer.release));
    this.log?.info(
      { queryId: query.queryId.toString(), epoch: snapshot.epoch.toString(), chunks: answer.chunks.length, proveSeconds, gasUsed: posted.gasUsed.toString() },
      'answered a cohort query',
    );
    return {
      queryId: query.queryId,
      status: 'answered',
      releasedCount: posted.releasedCount,
      belowMinimum: posted.belowMinimum,
      txHash: posted.txHash,
      gasUsed: posted.gasUsed,
      proveSeconds,
    };
  }

  private emit(outcome: QueryOutcome): void {
    if (outcome.status === 'skipped') this.log?.info({ queryId: outcome.queryId.toString(), reason: outcome.reason }, 'skipped a cohort query');
  }
}
