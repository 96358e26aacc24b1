import { badRequest, conflict, forbidden, notFound, OperationOutcomeError } from '@medplum/core';
import { CohortRejectedError } from '../ledger/cohort-errors.js';
import type { CohortPort, Hex } from '../ledger/ports.js';
import type { ResourceService } from '../store/service.js';
import { auditQuery, type QueryResults } from './answer-audit.js';
import { inclusionPath } from './cohort-tree.js';
import { compileCriteria, criteriaHash, evaluateCriteria, validateCriteria, type CohortCriteria } from './criteria.js';
import { checkEligibility, type EligibilityProofDocument } from './eligibility-check.js';
import { proveEligibility } from './eligibility-proof.js';
import { EpochCommitter } from './epoch-committer.js';
import { PatientSecrets } from './patient-secrets.js';
import { toProofCalldata } from './proof-calldata.js';
import type { CohortRecordIndex } from './record-index.js';
import { CohortRecordSource } from './record-source.js';
import { trialScopeId } from './trial-scope.js';
import type { ZkToolkit } from './zk-toolkit.js';

/** i2b2/SHRINE practice, and the issue's default: counts under 10 are not released in the clear. */
const DEFAULT_MIN_CELL_SIZE = 10;
const DEFAULT_QUERY_SECONDS = 3600;

export interface CohortServiceOptions {
  /** Which patients are live and what references them (gateway/store/live-resource-index.ts). */
  records: CohortRecordIndex;
  store: ResourceService;
  masterKey: Buffer;
  cohorts: CohortPort;
  memberId: Hex;
  zk: () => Promise<ZkToolkit>;
  now?: () => number;
}

export interface EpochView {
  epoch: string;
  root: string;
  recordCount: number;
  chunks: number;
  /** null when the records had not changed since the latest committed epoch. */
  txHash: Hex | null;
}

/**
 * What the node's cohort HTTP API does, for both sides: a hospital commits its records and proves
 * eligibility for its patients; a researcher member posts queries and trials and reads audited
 * results; any member accepts eligibility proofs on chain. Chain refusals become OperationOutcomes.
 */
export class CohortService {
  readonly committer: EpochCommitter;
  private readonly now: () => number;

  constructor(private readonly options: CohortServiceOptions) {
    const source = new CohortRecordSource(options.records, options.store, new PatientSecrets(options.masterKey));
    this.committer = new EpochCommitter(source, options.cohorts, options.memberId, async () => (await options.zk()).hash);
    this.now = options.now ?? Date.now;
  }

  async commit(): Promise<EpochView> {
    const snapshot = await this.committer.current();
    return {
      epoch: snapshot.epoch.toString(),
      root: snapshot.tree.root.toString(),
      recordCount: snapshot.records.length,
      chunks: snapshot.tree.levels[1]?.length ?? 0,
      txHash: snapshot.txHash,
    };
  }

  async postQuery(rawCriteria: unknown, minCellSize?: number, deadline?: number) {
    const criteria = validateCriteria(rawCriteria);
    const zk = await this.options.zk();
    const hash = criteriaHash(zk.hash, compileCriteria(criteria));
    const floor = await this.options.cohorts.minCellSizeFloor();
    const cell = minCellSize ?? Math.max(DEFAULT_MIN_CELL_SIZE, floor);
    const closes = deadline ?? Math.floor(this.now() / 1000) + DEFAULT_QUERY_SECONDS;
    const query = await chain(() => this.options.cohorts.postQuery(hash, cell, closes, JSON.stringify(criteria)));
    return { queryId: query.queryId.toString(), criteriaHash: hash.toString(), minCellSize: cell, deadline: closes, txHash: query.txHash };
  }

  async results(queryId: bigint): Promise<QueryResults> {
    const results = await auditQuery(this.options.cohorts, await this.options.zk(), queryId);
    if (!results) throw new OperationOutcomeError(notFound);
    return results;
  }

  async registerTrial(trialId: string, rawCriteria: unknown) {
    const criteria = validateCriteria(rawCriteria);
    const hash = criteriaHash((await this.options.zk()).hash, compileCriteria(criteria));
    const scopeId = trialScopeId(trialId);
    const tx = await chain(() => this.options.cohorts.registerTrial(scopeId, hash));
    return { trial: trialId, scopeId: scopeId.toString(), criteriaHash: hash.toString(), txHash: tx.txHash };
  }

  /**
   * Proves that one patient's committed record meets a trial's criteria. The proof is against
   * the node's latest committed epoch (committing first when the records changed) and reveals
   * only the root, the criteria hash, the trial scope and the patient's nullifier for it.
   */
  async proveEligibility(patientId: string, trialId: string, rawCriteria: unknown): Promise<EligibilityProofDocument> {
    const criteria: CohortCriteria = validateCriteria(rawCriteria);
    const zk = await this.options.zk();
    const snapshot = await this.committer.current();
    const index = snapshot.patientIds.indexOf(patientId);
    if (index < 0) throw new OperationOutcomeError(notFound);
    if (!evaluateCriteria(snapshot.records[index]!, criteria)) {
      throw new OperationOutcomeError(badRequest(`Patient/${patientId} does not meet the trial criteria: no proof exists`, 'criteria'));
    }
    const scopeId = trialScopeId(trialId);
    const secret = new PatientSecrets(this.options.masterKey).of(patientId);
    const result = await proveEligibility(
      zk.hash,
      zk.provers.eligibility,
      { record: snapshot.records[index]!, patientSecret: secret, path: inclusionPath(zk.hash, snapshot.tree, index), root: snapshot.tree.root, scopeId },
      criteria,
    );
    const [nullifier, root, hash] = result.publicSignals as [string, string, string, string];
    return {
      trial: trialId,
      scopeId: scopeId.toString(),
      criteriaHash: hash,
      root,
      nullifier,
      epoch: snapshot.epoch.toString(),
      member: this.options.memberId,
      proof: result.proof,
      publicSignals: result.publicSignals,
    };
  }

  /** Checks an eligibility proof off chain, then has the contract verify it and spend the nullifier. */
  async acceptEligibility(document: Pick<EligibilityProofDocument, 'proof' | 'publicSignals'>) {
    const check = await checkEligibility(this.options.cohorts, await this.options.zk(), document);
    if (!check.ok) throw new OperationOutcomeError(check.spent ? conflict(check.reason) : badRequest(check.reason));
    const accepted = await chain(() => this.options.cohorts.acceptEligibility(toProofCalldata({ proof: document.proof, publicSignals: document.publicSignals })));
    return {
      accepted: true,
      scopeId: accepted.scopeId.toString(),
      nullifier: accepted.nullifier.toString(),
      root: accepted.root.toString(),
      acceptedBy: accepted.acceptedBy,
      txHash: accepted.txHash,
      gasUsed: accepted.gasUsed.toString(),
    };
  }
}

const CONFLICTS = new Set(['NullifierUsed', 'TrialExists', 'AlreadyAnswered', 'EpochNotIncreasing']);
const FORBIDDEN = new Set(['NotHospital', 'NotResearcher', 'NotTrialRegistrar', 'NotMember']);

/** Runs a chain call, turning the registry's custom errors into OperationOutcomes. */
async function chain<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (!(error instanceof CohortRejectedError)) throw error;
    const text = `the cohort registry refused: ${error.reason}`;
    if (FORBIDDEN.has(error.reason)) {
      throw new OperationOutcomeError({ ...forbidden, issue: [{ severity: 'error', code: 'forbidden', details: { text: `${text}: this node's member lacks the role` } }] });
    }
    throw new OperationOutcomeError(CONFLICTS.has(error.reason) ? conflict(text) : badRequest(text));
  }
}
