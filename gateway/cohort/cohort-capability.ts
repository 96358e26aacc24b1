// Assembles the cohort capability of a node: the service behind /cohort, and the worker that
// answers the consortium's queries when this node's member is a hospital. The zk toolkit
// (Poseidon, Baby Jubjub, verification keys, provers) loads on first use, so a node that never
// sees a query pays nothing for it.

import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { CohortPort, Hex, MemberPort } from '../ledger/ports.js';
import type { ResourceService } from '../store/service.js';
import { AnswerBlindings } from './answer-blindings.js';
import { cohortRoutes } from './cohort-routes.js';
import { CohortService } from './cohort-service.js';
import { CohortQueryWorker } from './query-worker.js';
import type { ProverBackend } from './circuit-prover.js';
import type { CohortRecordIndex } from './record-index.js';
import { closeZkToolkit, loadZkToolkit, type ZkToolkit } from './zk-toolkit.js';

export interface CohortCapabilityOptions {
  /** Which patients are live and what references them (gateway/store/live-resource-index.ts). */
  records: CohortRecordIndex;
  store: ResourceService;
  masterKey: Buffer;
  cohorts: CohortPort;
  members: MemberPort;
  self: { memberId: Hex; signer: Hex };
  /** How often the worker looks for new queries; default 1 s. */
  pollIntervalMs?: number;
  /** The Groth16 backend (config CARELEDGER_ZK_PROVER); default auto. */
  zkProver?: ProverBackend | 'auto';
}

export interface CohortCapability {
  service: CohortService;
  routes(app: FastifyInstance): Promise<void>;
  /** null when this node's member is not a hospital: it has nothing to answer. */
  worker: CohortQueryWorker | null;
  /** Starts answering queries (hospitals), logging to the app's logger. */
  start(log: FastifyBaseLogger): void;
  close(): Promise<void>;
}

export async function startCohortCapability(options: CohortCapabilityOptions): Promise<CohortCapability> {
  let toolkit: Promise<ZkToolkit> | undefined;
  const zk = () => {
    toolkit ??= loadZkToolkit(undefined, options.zkProver ?? 'auto');
    return toolkit;
  };
  const service = new CohortService({ records: options.records, store: options.store, masterKey: options.masterKey, cohorts: options.cohorts, memberId: options.self.memberId, zk });
  const hospital = await options.members.hasRole(options.self.signer, 'HOSPITAL');
  const worker = hospital
    ? new CohortQueryWorker({
        cohorts: options.cohorts,
        memberId: options.self.memberId,
        committer: service.committer,
        blindings: new AnswerBlindings(options.masterKey),
        zk,
        intervalMs: options.pollIntervalMs ?? 1000,
      })
    : null;
  return {
    service,
    routes: cohortRoutes(service),
    worker,
    start(log) {
      worker?.useLogger(log);
      worker?.start();
    },
    async close() {
      await worker?.stop();
      const loaded = await toolkit?.catch(() => undefined);
      if (loaded) await closeZkToolkit(loaded);
    },
  };
}
