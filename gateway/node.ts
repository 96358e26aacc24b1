// Composes a running node from its configuration: keys, the chain (embedded or joined, through
// the ledger factory), the database and its stores, the intake pipeline, batcher and anchorer,
// the capabilities listed in node-capabilities.ts, and the HTTP API. Nothing else: each part's
// logic lives in its own module. Dependencies are passed in, never global, so tests and the
// local consortium can run several nodes in one process.

import type { FastifyInstance } from 'fastify';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Anchorer } from './anchoring/anchorer.js';
import { Batcher } from './anchoring/batcher.js';
import { nudgeOnFullBatch } from './anchoring/full-batch-nudge.js';
import { ReceiptService } from './anchoring/receipt-service.js';
import { CapabilitySet } from './capability-set.js';
import type { NodeConfig } from './config.js';
import { writeDevFile } from './dev-file.js';
import { R5_RESOURCE_TYPES, convertR4toR5 } from './fhir-support.js';
import type { IntakePipeline } from './intake/pipeline.js';
import { loadNodeKeys } from './keys/node-keys.js';
import { connectChain, type ChainConnection } from './ledger/chain-connection.js';
import { NODE_CAPABILITIES, type NodeCapabilities } from './node-capabilities.js';
import { configuredVerifier } from './receipts/trust-root.js';
import { buildApp } from './server/app.js';
import { FHIR_BASE } from './server/fhir-bases.js';
import { freePort } from './server/free-port.js';
import { NodeMetrics } from './server/metrics.js';
import { openAuthStores } from './store/auth-stores.js';
import { SqliteBatchStore } from './store/batch-store.js';
import { lockDataDir } from './store/data-dir-lock.js';
import { openDatabase, type Db } from './store/database.js';
import { flushSearchIndex } from './store/deferred-index.js';
import { openNodeStore } from './store/node-store.js';
import { createOidcTokenVerifier } from './auth/oidc-token-verifier.js';
import { SqliteReceiptRecordStore } from './store/receipt-record-store.js';
import { R4ValidationPool } from '../fhir-adapters/validation/r4-validation-pool.js';

const NODE_VERSION = '0.1.0';

/** A started node; its capabilities (consent, cohort, adapters...) are fields under their names, null when the chain does not offer one. */
export interface RunningNode extends NodeCapabilities {
  config: NodeConfig;
  app: FastifyInstance;
  db: Db;
  /** The node's resource service: the intake pipeline in front of the resource store. */
  store: IntakePipeline;
  anchorer: Anchorer;
  chain: ChainConnection;
  /** Where clients reach the FHIR API, e.g. http://127.0.0.1:8080/fhir. */
  fhirBase: string;
  /** dev.json (dev-file.ts), in dev mode. */
  devFile?: string;
  close(): Promise<void>;
}

export async function startNode(requested: NodeConfig): Promise<RunningNode> {
  const config = await withConcretePort(requested);
  mkdirSync(config.dataDir, { recursive: true });
  const lock = lockDataDir(config.dataDir, 'a careledger node');
  let keys: ReturnType<typeof loadNodeKeys>;
  let chain: ChainConnection;
  try {
    keys = loadNodeKeys({ dataDir: config.dataDir, ...config.secrets, allowGenerate: config.dev, allowPasswordFile: config.dev });
    chain = await connectChain(config, keys.memberWallet);
  } catch (error) {
    lock.release();
    throw error;
  }
  const db = openDatabase(join(config.dataDir, 'careledger.db'));
  const receipts = new ReceiptService(new SqliteReceiptRecordStore(db), Math.max(1, Math.ceil(config.batch.maxAgeMs / 1000)), config.orgId);
  const batches = new SqliteBatchStore(db);
  const batcher = new Batcher(batches, config.batch);
  const r4Validation = new R4ValidationPool(config.r4ValidationWorkers);

  let anchorer: Anchorer | undefined;
  const nudgeAnchorer = nudgeOnFullBatch(config.batch.maxLeaves, () => anchorer?.nudge());
  const { service: store, vault } = openNodeStore({
    db,
    masterKey: keys.masterKey,
    receipts,
    onJournaled: (count) => {
      metrics.journaled.inc(count);
      nudgeAnchorer(count);
    },
  });

  const metrics = new NodeMetrics({
    leavesWaiting: () => batcher.waitingLeaves(),
    closedBatchesWaiting: () => anchorer!.health().closedBatchesWaiting,
    chainReachable: () => chain.probe.current().reachable && anchorer!.health().state !== 'chain-unreachable',
  });

  const resourceTypes = [...R5_RESOURCE_TYPES];
  const capabilities = await CapabilitySet.create(NODE_CAPABILITIES, { config, db, keys, chain, vault, store, receipts, resourceTypes });
  capabilities.registerMetrics(metrics.registry);
  const serviceFor = capabilities.serviceFor();

  const app = await buildApp({
    db,
    publicUrl: config.publicUrl,
    bodyLimitBytes: config.bodyLimitBytes,
    limits: config.limits,
    logger: {
      level: config.logLevel,
      ...(config.prettyLogs ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' } } } : {}),
    },
    authorize: (system) => capabilities.authorize(system),
    ...(config.console?.oidc ? { oidc: createOidcTokenVerifier(config.console.oidc) } : {}),
    extensions: capabilities.routes(),
    fhir: {
      service: store,
      ...(serviceFor ? { serviceFor } : {}),
      resourceTypes,
      r4: { validate: (resource) => r4Validation.validate(resource), convert: convertR4toR5 },
      // Pinned to the registries this node is configured for, never to the receipt's.
      verifyAnchor: configuredVerifier(chain.descriptor, chain.lookupAnchor, chain.verifier),
      software: { name: 'careledger', version: NODE_VERSION },
      // The adapters capability serves Bulk Data export under the R5 base (adapters/node-adapters.ts).
      bulkExport: true,
    },
    health: {
      anchoring: () => anchorer!.health(),
      chain: () => chain.probe.current(),
      metrics,
      identity: { orgId: config.orgId, memberId: chain.memberId, chainId: chain.descriptor.chainId, version: NODE_VERSION },
      capabilities,
    },
  });

  anchorer = new Anchorer(batches, batcher, chain.anchors, app.log);
  anchorer.onAnchored((seq, batch) => {
    chain.probe.answered();
    metrics.batchAnchored(batch);
    capabilities.batchAnchored(seq);
  });
  anchorer.start();

  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await app.close();
    await capabilities.stop();
    await r4Validation.close();
    await anchorer!.stop();
    // Search index rows still pending go in now (a crash instead would replay them at the next start).
    flushSearchIndex(db);
    db.close();
    store.close();
    await chain.close();
    lock.release();
  };
  try {
    // The validation workers load the R4 definitions while the rest starts; R4 writes are not
    // taken before they can be validated (the first ones would otherwise wait a second).
    await r4Validation.ready();
    await capabilities.start(app.log);
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    await close();
    throw error;
  }
  const fhirBase = `${config.publicUrl}${FHIR_BASE}`;
  const devFile = config.dev
    ? await writeDevFile(openAuthStores(db), { dataDir: config.dataDir, publicUrl: config.publicUrl, fhirBase, orgId: config.orgId, chain })
    : undefined;

  return { config, app, db, store, anchorer, chain, ...capabilities.byName, fhirBase, devFile, close };
}

/** Port 0 means "any free port"; it is fixed before start so the public URL and token audience are exact. */
async function withConcretePort(config: NodeConfig): Promise<NodeConfig> {
  if (config.port !== 0) return config;
  const port = await freePort(config.host);
  return { ...config, port, publicUrl: config.publicUrl.replace(/:0$/, `:${port}`) };
}
