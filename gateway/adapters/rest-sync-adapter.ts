// REST sync for the running node: RestSync on the node's store and cursor table, polled every
// EHR_SYNC_INTERVAL_MS, with what /health reports about it. `lagMs` is how far behind the EHR the
// node may be: the time since the last round that completed began (a change made at the EHR
// after that instant may not be here yet).

import type { RestSyncAdapterConfig } from '../config.js';
import type { IntakePort } from '../intake/port.js';
import { RestSync, type SyncRound } from '../../fhir-adapters/rest-sync/rest-sync.js';
import type { AccessTokenSource } from '../../fhir-adapters/rest-sync/smart-backend-auth.js';
import type { SyncCursorTable } from '../../fhir-adapters/rest-sync/sync-cursor-table.js';

export interface RestSyncHealth {
  fhirBase: string;
  state: 'waiting' | 'ok' | 'failing';
  lastRun?: string;
  lastSuccess?: string;
  lagMs?: number;
  lastError?: string;
  /** New versions stored by the last completed round. */
  lastStored?: number;
}

/** Names the EHR in cursor rows and in the journal's `source` (`rest-sync:ehr`). */
const REST_SYNC_EHR = 'ehr';

export function createRestSync(
  config: RestSyncAdapterConfig,
  deps: {
    intake: IntakePort;
    deleter: (type: string, id: string) => Promise<{ versionId: string | null }>;
    cursors: SyncCursorTable;
    auth?: AccessTokenSource;
    onRound?: (round: SyncRound) => void;
  },
): RestSync {
  return new RestSync({
    ehr: REST_SYNC_EHR,
    server: { baseUrl: config.fhirBase, ...(deps.auth ? { auth: deps.auth } : {}) },
    fhirVersion: config.fhirVersion,
    types: config.types,
    intake: deps.intake,
    deleter: deps.deleter,
    cursors: deps.cursors,
    pageSize: config.pageSize,
    detectDeletes: config.detectDeletes,
    ...(deps.onRound ? { onRound: deps.onRound } : {}),
  });
}

/** What the rounds of a RestSync say about it, for /health. */
export class RestSyncStatus {
  private last: SyncRound | undefined;
  private lastSuccess: SyncRound | undefined;

  constructor(private readonly fhirBase: string) {}

  record = (round: SyncRound): void => {
    this.last = round;
    if (!round.error) this.lastSuccess = round;
  };

  health(now = Date.now()): RestSyncHealth {
    const last = this.last;
    const success = this.lastSuccess;
    return {
      fhirBase: this.fhirBase,
      state: !last ? 'waiting' : last.error ? 'failing' : 'ok',
      ...(last ? { lastRun: last.startedAt.toISOString() } : {}),
      ...(success
        ? {
            lastSuccess: success.finishedAt.toISOString(),
            lagMs: now - success.startedAt.getTime(),
            lastStored: (success.reports ?? []).reduce((sum, report) => sum + report.stored, 0),
          }
        : {}),
      ...(last?.error ? { lastError: (last.error as Error).message ?? String(last.error) } : {}),
    };
  }
}
