// Assembles a running node from its configuration: keys, chain (embedded or joined), database,
// vault, store, batcher, anchorer, HTTP API. Dependencies are passed in, never global, so tests
// and the local consortium can run several nodes in one process.

import type { FastifyInstance } from 'fastify';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { prepareAdapters, type NodeAdapters } from './adapters/node-adapters.js';
import { Anchorer } from './anchoring/anchorer.js';
import { Batcher } from './anchoring/batcher.js';
import { ReceiptService } from './anchoring/receipt-service.js';
import { ensureDevClient } from './auth/dev-client.js';
import { startCohortCapability, type CohortCapability } from './cohort/cohort-capability.js';
import { startConsentCapability, type ConsentCapability } from './consent/consent-capability.js';
import type { NodeConfig } from './config.js';
import { loadNodeKeys } from './keys/node-keys.js';
import { connectChain, type ChainConnection } from './ledger/chain-connection.js';
import type { Hex } from './ledger/ports.js';
import { configuredVerifier } from './receipts/trust-root.js';
import { buildApp, FHIR_BASE } from './server/app.js';
import { NodeMetrics } from './server/metrics.js';
import { lockDataDir } from './store/data-dir-lock.js';
import { openDatabase, type Db } from './store/database.js';
import { openNodeStore } from './store/node-store.js';
import type { ResourceStore } from './store/resource-store.js';
import { R4ValidationPool } from '../fhir-adapters/validation/r4-validation-pool.js';
import { R5_RESOURCE_TYPES, convertR4toR5 } from './fhir-support.js';

export const NODE_VERSION = '0.1.0';

export interface RunningNode {
  config: NodeConfig;
  app: FastifyInstance;
  db: Db;
  store: ResourceStore;
  anchorer: Anchorer;
  chain: ChainConnection;
  /** Patient consent and member access; null when the chain has no ConsentRegistry. */
  consent: ConsentCapability | null;
  /** Zero-knowledge cohort queries and eligibility; null when the chain has no CohortRegistry. */
  cohort: CohortCapability | null;
  /** The EHR adapters configured in `config.adapters` (HL7 v2, Kafka, REST sync, Subscriptions, Bulk). */
  adapters: NodeAdapters;
  /** Where clients reach the FHIR API, e.g. http://127.0.0.1:8080/fhir. */
  fhirBase: string;
  devFile?: string;
  close(): Promise<void>;
}

export interface DevFile {
  fhirBase: string;
  token: string;
  tokenExpiresAt: string;
  tokenUrl: string;
  clientId: string;
  privateKeyPath: string;
  refreshCommand: string;
  rpcUrl: string;
  chainId: number;
  contracts: Record<string, string>;
  memberId: string;
  orgId: string;
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
  const receipts = new ReceiptService(db, Math.max(1, Math.ceil(config.batch.maxAgeMs / 1000)), config.orgId);
  const batcher = new Batcher(db, config.batch);
  const r4Validation = new R4ValidationPool(config.r4ValidationWorkers);

  let anchorer: Anchorer | undefined;
  let journaledSinceNudge = 0;
  const { store, vault } = openNodeStore({
    db,
    masterKey: keys.masterKey,
    receipts,
    onJournaled: (count) => {
      metrics.journaled.inc(count);
      // A cheap running count instead of asking SQLite on every commit: once a batch's worth
      // has arrived, wake the anchorer so it closes a full batch without waiting for the timer.
      journaledSinceNudge += count;
      if (journaledSinceNudge >= config.batch.maxLeaves) {
        journaledSinceNudge = 0;
        anchorer?.nudge();
      }
    },
  });

  const logger = { level: config.logLevel };
  const metrics = new NodeMetrics({
    leavesWaiting: () => batcher.waitingLeaves(),
    closedBatchesWaiting: () => anchorer!.health().closedBatchesWaiting,
    chainReachable: () => chain.probe.current().reachable && anchorer!.health().state !== 'chain-unreachable',
  });

  // Patient consent and member access, when the chain has a ConsentRegistry.
  const consent = chain.consents
    ? await startConsentCapability({
        db,
        vault,
        store,
        consents: chain.consents,
        members: chain.members,
        self: { memberId: chain.memberId, orgId: config.orgId, signerKey: keys.memberWallet.privateKey },
        audiences: [config.publicUrl, `${config.publicUrl}${FHIR_BASE}`],
      })
    : null;

  // Zero-knowledge cohort queries and trial eligibility, when the chain has a CohortRegistry.
  const cohort = chain.cohorts
    ? await startCohortCapability({
        db,
        store,
        masterKey: keys.masterKey,
        cohorts: chain.cohorts,
        members: chain.members,
        self: { memberId: chain.memberId, signer: keys.memberWallet.address.toLowerCase() as Hex },
        zkProver: config.zkProver,
      })
    : null;

  const resourceTypes = [...R5_RESOURCE_TYPES];
  const adapters = prepareAdapters({ config, db, store, receipts, masterKey: keys.masterKey, resourceTypes });

  const app = await buildApp({
    db,
    publicUrl: config.publicUrl,
    bodyLimitBytes: config.bodyLimitBytes,
    limits: config.limits,
    logger,
    ...(consent ? { authorize: consent.authorize } : {}),
    extensions: [...(consent ? [consent.routes] : []), ...(cohort ? [cohort.routes] : []), adapters.routes],
    fhir: {
      service: store,
      ...(consent ? { serviceFor: consent.serviceFor } : {}),
      resourceTypes,
      r4: { validate: (resource) => r4Validation.validate(resource), convert: convertR4toR5 },
      // The store validates every write (adapters write to it directly); validating here too would
      // only do the same work twice.
      r5Validate: () => [],
      // Pinned to the registries this node is configured for, never to the receipt's.
      verifyAnchor: configuredVerifier(chain.descriptor, chain.lookupAnchor, chain.verifier),
      software: { name: 'careledger', version: NODE_VERSION },
    },
    health: {
      anchoring: () => anchorer!.health(),
      chain: () => chain.probe.current(),
      metrics,
      identity: { orgId: config.orgId, memberId: chain.memberId, chainId: chain.descriptor.chainId, version: NODE_VERSION },
      adapters,
    },
  });

  consent?.useLogger(app.log);
  cohort?.start(app.log);
  anchorer = new Anchorer(db, batcher, chain.anchors, app.log);
  anchorer.onAnchored((seq) => {
    chain.probe.answered();
    const row = db.prepare('SELECT leaf_count, closed_at, anchored_at FROM batches WHERE seq = ?').get(seq) as {
      leaf_count: number;
      closed_at: number;
      anchored_at: number;
    };
    metrics.batchesAnchored.inc();
    metrics.leavesAnchored.inc(row.leaf_count);
    metrics.anchorSeconds.observe((row.anchored_at - row.closed_at) / 1000);
    adapters.batchAnchored(seq);
  });
  anchorer.start();

  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await app.close();
    await adapters.close();
    await consent?.close();
    await cohort?.close();
    await r4Validation.close();
    await anchorer!.stop();
    db.close();
    store.close();
    await chain.close();
    lock.release();
  };
  try {
    // The validation workers load the R4 definitions while the rest starts; R4 writes are not
    // taken before they can be validated (the first ones would otherwise wait a second).
    await r4Validation.ready();
    await adapters.start(app.log);
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    await close();
    throw error;
  }
  const fhirBase = `${config.publicUrl}${FHIR_BASE}`;

  let devFile: string | undefined;
  if (config.dev) {
    const client = await ensureDevClient(db, config.dataDir, { publicBaseUrl: config.publicUrl });
    devFile = join(config.dataDir, 'dev.json');
    const dev: DevFile = {
      fhirBase,
      token: client.accessToken,
      tokenExpiresAt: client.expiresAt,
      tokenUrl: client.tokenUrl,
      clientId: client.clientId,
      privateKeyPath: client.privateKeyPath,
      refreshCommand: client.refreshCommand,
      rpcUrl: chain.descriptor.rpcUrl,
      chainId: chain.descriptor.chainId,
      contracts: chain.descriptor.contracts,
      memberId: chain.memberId,
      orgId: config.orgId,
    };
    writeFileSync(devFile, `${JSON.stringify(dev, null, 2)}\n`, { mode: 0o600 });
  }

  return {
    config,
    app,
    db,
    store,
    anchorer,
    chain,
    consent,
    cohort,
    adapters,
    fhirBase,
    devFile,
    close,
  };
}

/** Port 0 means "any free port"; it is fixed before start so the public URL and token audience are exact. */
async function withConcretePort(config: NodeConfig): Promise<NodeConfig> {
  if (config.port !== 0) return config;
  const port = await freePort(config.host);
  return { ...config, port, publicUrl: config.publicUrl.replace(/:0$/, `:${port}`) };
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
