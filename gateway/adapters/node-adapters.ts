// The EHR adapters of a running node, each on when its configuration is present (Bulk $export
// is always on): their HTTP routes for buildApp's `extensions`, the listeners and loops started
// once the app's logger exists, their state for /health, and one close() for all of them.

import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { AnchoredReceiptFeed } from '../anchoring/anchored-receipts.js';
import type { ReceiptService } from '../anchoring/receipt-service.js';
import { requireFhirAccess } from '../auth/fhir-access.js';
import type { NodeConfig } from '../config.js';
import { FHIR_BASE } from '../server/fhir-bases.js';
import type { IntakePipeline } from '../intake/pipeline.js';
import type { Vault } from '../store/vault.js';
import type { ExportJobTable } from '../../fhir-adapters/bulk/export-job-table.js';
import { bulkExportRoutes } from '../../fhir-adapters/bulk/export-server.js';
import type { LiveResourceIds } from '../../fhir-adapters/bulk/live-resource-ids.js';
import { storeExportSource } from '../../fhir-adapters/bulk/store-export-source.js';
import type { AckCode } from '../../fhir-adapters/hl7/ack-message.js';
import type { MllpListener } from '../../fhir-adapters/hl7/mllp-listener.js';
import type { RestSync } from '../../fhir-adapters/rest-sync/rest-sync.js';
import type { SyncCursorTable } from '../../fhir-adapters/rest-sync/sync-cursor-table.js';
import type { SubscriptionStateTable } from '../../fhir-adapters/subscriptions/subscription-state.js';
import { subscriptionReceiver } from '../../fhir-adapters/subscriptions/subscription-receiver.js';
import { ehrTokenSource } from './ehr-auth.js';
import { startHl7Adapter } from './hl7-adapter.js';
import { KafkaAdapter, type KafkaHealth } from './kafka-adapter.js';
import { createRestSync, RestSyncStatus, type RestSyncHealth } from './rest-sync-adapter.js';

/** Where EHRs post rest-hook notifications: <publicUrl>/fhir/subscriptions/<endpoint id>. */
const SUBSCRIPTIONS_PATH = `${FHIR_BASE}/subscriptions`;

export interface AdaptersHealth {
  hl7?: { host: string; port: number; connections: number; acks: Record<AckCode, number> };
  kafka?: KafkaHealth;
  restSync?: RestSyncHealth;
  subscriptions?: { endpoints: string[] };
  bulkExport: { kickOff: string };
}

export interface NodeAdapters {
  /** Bulk export and the Subscriptions receiver under /fhir, for buildApp's `extensions`. */
  routes(app: FastifyInstance): Promise<void>;
  /** Starts HL7, Kafka and REST sync; one log line each. Throws when a listener cannot bind. */
  start(log: FastifyBaseLogger): Promise<void>;
  /** For Anchorer.onAnchored: feeds the Kafka receipts topic when one is configured. */
  batchAnchored(batchSeq: number): void;
  health(): AdaptersHealth;
  /** True when an adapter that is on is not working (the node is then "degraded"). */
  degraded(): boolean;
  close(): Promise<void>;
}

/** What the adapters keep in the node's database (gateway/store/adapter-stores.ts opens them over SQLite). */
export interface AdapterStores {
  exportJobs: ExportJobTable;
  /** Seals Bulk export files under the patients' compartment keys. */
  exportVault: Pick<Vault, 'seal' | 'open' | 'isShredded'>;
  liveIds: LiveResourceIds;
  syncCursors: SyncCursorTable;
  subscriptionStates: SubscriptionStateTable;
}

export interface NodeAdapterDeps {
  config: NodeConfig;
  stores: AdapterStores;
  store: IntakePipeline;
  receipts: ReceiptService;
  masterKey: Buffer;
  /** What a system $export without _type covers. */
  resourceTypes: readonly string[];
}

export function prepareAdapters({ config, stores, store, receipts, masterKey, resourceTypes }: NodeAdapterDeps): NodeAdapters {
  const settings = config.adapters;
  const deleter = (type: string, id: string) => store.delete(type, id);
  const authBase = settings.restSync?.fhirBase ?? settings.subscriptions[0]?.fhirBase;
  const auth = settings.ehrAuth ? ehrTokenSource(settings.ehrAuth, authBase) : undefined;
  const syncStatus = settings.restSync ? new RestSyncStatus(settings.restSync.fhirBase) : undefined;
  const restSync: RestSync | undefined = settings.restSync
    ? createRestSync(settings.restSync, { intake: store, deleter, cursors: stores.syncCursors, auth, onRound: syncStatus!.record })
    : undefined;

  let log: FastifyBaseLogger | undefined;
  let hl7: MllpListener | undefined;
  let kafka: KafkaAdapter | undefined;
  const feed = settings.kafka?.receiptsTopic
    ? new AnchoredReceiptFeed(receipts, (error, batchSeq) => log?.error({ err: error, batchSeq }, 'building receipts for Kafka failed'))
    : undefined;

  return {
    async routes(app) {
      await app.register(bulkExportRoutes, {
        prefix: FHIR_BASE,
        service: store,
        listAll: storeExportSource(stores.liveIds, store),
        resourceTypes,
        jobs: stores.exportJobs,
        dataDir: config.dataDir,
        vault: stores.exportVault,
        baseUrl: `${config.publicUrl}${FHIR_BASE}`,
        // SMART scopes only: member JWTs (gateway/consent) are for consented reads, not exports.
        authorize: (request, type, interaction) => {
          requireFhirAccess(request, type, interaction);
        },
        // Without a valid token, requireFhirAccess throws the 401 with its challenge.
        identify: (request) => request.principal?.clientId ?? requireFhirAccess(request, undefined, 'search').clientId,
      });
      if (settings.subscriptions.length === 0) return;
      await app.register(subscriptionReceiver, {
        prefix: SUBSCRIPTIONS_PATH,
        endpoints: settings.subscriptions.map((endpoint) => ({
          id: endpoint.id,
          secret: endpoint.secret,
          fhirVersion: endpoint.fhirVersion,
          types: endpoint.types,
          server: { baseUrl: endpoint.fhirBase, ...(auth ? { auth } : {}) },
          ...(endpoint.subscription ? { subscription: endpoint.subscription } : {}),
        })),
        intake: store,
        deleter,
        states: stores.subscriptionStates,
        onMissedEvents: async ({ endpoint, types }) => {
          if (!restSync) {
            app.log.warn({ endpoint }, 'subscription events were missed and cannot be caught up: set EHR_FHIR_BASE to enable REST sync');
            return;
          }
          for (const type of types) await restSync.syncType(type);
        },
      });
    },

    async start(logger) {
      log = logger;
      log.info({ path: `${FHIR_BASE}/$export` }, 'Bulk Data $export is on');
      if (settings.subscriptions.length > 0) {
        log.info({ endpoints: settings.subscriptions.map((endpoint) => `${SUBSCRIPTIONS_PATH}/${endpoint.id}`) }, 'Subscriptions receiver is on');
      }
      if (settings.hl7) {
        try {
          hl7 = await startHl7Adapter(settings.hl7, { intake: store, masterKey, log });
        } catch (error) {
          throw new Error(`HL7 MLLP listener cannot listen on ${settings.hl7.host}:${settings.hl7.port} (HL7_MLLP_HOST/HL7_MLLP_PORT): ${(error as Error).message}`);
        }
        log.info({ host: hl7.host, port: hl7.port }, 'HL7 v2 MLLP listener is on');
      }
      if (settings.kafka) {
        kafka = new KafkaAdapter(settings.kafka, { orgId: config.orgId, intake: store, ...(feed ? { onReceipt: feed.onReceipt } : {}), log });
        log.info({ brokers: settings.kafka.brokers, topic: settings.kafka.topic, receiptsTopic: settings.kafka.receiptsTopic }, 'Kafka intake is connecting');
      }
      if (restSync && settings.restSync) {
        if (!auth) log.warn('REST sync runs without SMART auth (EHR_CLIENT_ID/EHR_PRIVATE_KEY_FILE unset)');
        restSync.start(settings.restSync.intervalMs, (error) => log?.warn({ err: error }, 'REST sync round failed; retrying next interval'));
        log.info({ fhirBase: settings.restSync.fhirBase, types: settings.restSync.types, intervalMs: settings.restSync.intervalMs }, 'REST sync is on');
      }
    },

    batchAnchored(batchSeq) {
      feed?.batchAnchored(batchSeq);
    },

    health() {
      return {
        ...(hl7 ? { hl7: { host: hl7.host, port: hl7.port, connections: hl7.connectionCount(), acks: hl7.ackCounts() } } : {}),
        ...(kafka ? { kafka: kafka.health() } : {}),
        ...(syncStatus ? { restSync: syncStatus.health() } : {}),
        ...(settings.subscriptions.length > 0 ? { subscriptions: { endpoints: settings.subscriptions.map((endpoint) => endpoint.id) } } : {}),
        bulkExport: { kickOff: `${FHIR_BASE}/$export` },
      };
    },

    degraded() {
      const kafkaState = kafka?.health().state;
      return (kafkaState !== undefined && kafkaState !== 'connected') || syncStatus?.health().state === 'failing';
    },

    async close() {
      // Intake first (each finishes and acknowledges what it has in hand), then the receipts out.
      await Promise.all([hl7?.close(), restSync?.stop()]);
      await kafka?.close();
      await feed?.close();
    },
  };
}
