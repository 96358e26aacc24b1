// The retention purge job: on start and then every `intervalMs` (daily by default), each channel's
// source shreds what outlived its retention period, and every deletion leaves an anchored
// AuditEvent saying which channel, how many items, which period of writing and under which
// retention, and nothing else: no patient, no session, no content.
//
// The record is written before the items are shredded: a crash between the two leaves a record
// of a deletion the next run completes (and records again), never a deletion without a record.

import type { ResourceService } from '../store/service.js';
import type { ConsultMessageTable } from './consult-messages.js';
import { describePeriod, type RetentionChannel, type RetentionPolicy } from './retention-policy.js';

/** Where a channel's items live; each implementation shreds so the content cannot be recovered. */
export interface RetentionSource {
  channel: RetentionChannel;
  /** Items whose retention ended at or before `now`, oldest first, at most `limit`. */
  expired(now: number, limit: number): Promise<Array<{ id: string; createdAt: number }>>;
  /** Makes the items unrecoverable; returns how many it shredded. */
  shred(ids: readonly string[], now: number): Promise<number>;
}

/** Where the background jobs of telehealth records say what they did (the app's logger fits). */
export interface RecordsLog {
  warn(details: object, message: string): void;
  info(details: object, message: string): void;
}

/** The member this node is, as deletion records name it. */
export interface PurgeNode {
  memberId: string;
  orgId: string;
}

export interface PurgeRecord {
  channel: RetentionChannel;
  count: number;
  /** `AuditEvent/<id>/_history/<v>`, anchored like every resource. */
  auditEvent: string;
}

export interface RetentionPurgeOptions {
  sources: readonly RetentionSource[];
  policy: RetentionPolicy;
  /** The node's resource service: deletion records go through intake and are anchored. */
  store: ResourceService;
  node: PurgeNode;
  /** Items per deletion record. */
  batchSize?: number;
  now?: () => number;
  log?: RecordsLog;
}

export interface RetentionPurge {
  /** Runs once now, then every policy.purgeIntervalMs. */
  start(): void;
  /** Stops the timer and waits for a run in progress. */
  stop(): Promise<void>;
  /** One pass over every source; what it shredded, one record per batch. */
  runOnce(): Promise<PurgeRecord[]>;
}

const MEMBER_SYSTEM = 'urn:careledger:member';
const DETAIL_SYSTEM = 'urn:careledger:retention';

export function createRetentionPurge(options: RetentionPurgeOptions): RetentionPurge {
  const now = options.now ?? Date.now;
  const batchSize = options.batchSize ?? 1000;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<PurgeRecord[]> | undefined;

  const purgeSource = async (source: RetentionSource, records: PurgeRecord[]) => {
    for (;;) {
      const at = now();
      const expired = await source.expired(at, batchSize);
      if (expired.length === 0) return;
      const written = await options.store.create(
        deletionRecord({
          node: options.node,
          channel: source.channel,
          count: expired.length,
          oldest: Math.min(...expired.map((item) => item.createdAt)),
          newest: Math.max(...expired.map((item) => item.createdAt)),
          retention: describePeriod(options.policy.periods[source.channel]),
          at,
        }),
      );
      await source.shred(
        expired.map((item) => item.id),
        at,
      );
      records.push({ channel: source.channel, count: expired.length, auditEvent: `AuditEvent/${written.resource.id}/_history/${written.versionId}` });
      if (expired.length < batchSize) return;
    }
  };

  const runOnce = async (): Promise<PurgeRecord[]> => {
    const records: PurgeRecord[] = [];
    for (const source of options.sources) await purgeSource(source, records);
    for (const record of records) options.log?.info({ channel: record.channel, count: record.count, auditEvent: record.auditEvent }, 'telehealth retention purge');
    return records;
  };

  const tick = () => {
    if (running) return;
    running = runOnce()
      .catch((error: unknown) => {
        options.log?.warn({ err: error }, 'the telehealth retention purge failed; it runs again at the next interval');
        return [];
      })
      .finally(() => {
        running = undefined;
      });
  };

  return {
    start() {
      tick();
      timer = setInterval(tick, options.policy.purgeIntervalMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      await running;
    },
    runOnce,
  };
}

/** The consultation channel's source: the sealed messages and files of consult-messages.ts. */
export function consultationRetentionSource(table: ConsultMessageTable): RetentionSource {
  return {
    channel: 'consultation',
    expired: async (at, limit) => (await table.expired(at, limit)).map((item) => ({ id: item.messageId, createdAt: item.createdAt })),
    shred: (ids, at) => table.shred(ids, at),
  };
}

function deletionRecord(input: {
  node: PurgeNode;
  channel: RetentionChannel;
  count: number;
  oldest: number;
  newest: number;
  retention: string;
  at: number;
}) {
  const detail = (type: string, value: Record<string, unknown>) => ({ type: { coding: [{ system: DETAIL_SYSTEM, code: type }] }, ...value });
  const node = { identifier: { system: MEMBER_SYSTEM, value: input.node.memberId }, display: input.node.orgId };
  return {
    resourceType: 'AuditEvent',
    category: [{ coding: [{ system: DETAIL_SYSTEM, code: 'retention-purge', display: 'Retention period ended' }] }],
    code: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle', code: 'destroy', display: 'Destroy/Delete' }] },
    action: 'D',
    severity: 'informational',
    recorded: new Date(input.at).toISOString(),
    outcome: {
      code: { system: 'http://terminology.hl7.org/CodeSystem/audit-event-outcome', code: '0', display: 'Success' },
      detail: [{ text: `${input.count} ${input.channel} item(s) crypto-shredded: retention ${input.retention} ended` }],
    },
    agent: [{ who: node, requestor: false }],
    source: { observer: node, type: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/security-source-type', code: '4', display: 'Application Server' }] }] },
    entity: [
      {
        role: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/object-role', code: '13', display: 'Security Resource' }] },
        detail: [
          detail('channel', { valueString: input.channel }),
          detail('item-count', { valueInteger: input.count }),
          detail('retention', { valueString: input.retention }),
          detail('written-period', { valuePeriod: { start: new Date(input.oldest).toISOString(), end: new Date(input.newest).toISOString() } }),
        ],
      },
    ],
  };
}
