// The web console as a node capability (gateway/capability.ts): the page at /console, its sign-in
// routes and the Operations API. It only reads what the node already has; it holds no credential
// of its own beyond the dev client that dev mode already registers.
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { Capability } from '../capability.js';
import type { NodeConfig } from '../config.js';
import type { ChainConnection } from '../ledger/chain-connection.js';
import { operationsRoutes } from '../server/operations-routes.js';
import { FHIR_BASE } from '../server/fhir-bases.js';
import { openAuthStores } from '../store/auth-stores.js';
import { SqliteBatchStore } from '../store/batch-store.js';
import type { Db } from '../store/database.js';
import { OperationsReads } from '../store/operations-reads.js';
import { cohortProgressRoutes } from './cohort-progress-routes.js';
import { consoleSessionRoutes } from './session-routes.js';
import { consoleStaticRoutes } from './static-routes.js';
import { CONSOLE_DIST_DIR } from './vite-settings.js';

export interface ConsoleCapabilityOptions {
  config: NodeConfig;
  db: Db;
  chain: ChainConnection;
  /** Where the built bundle is; the default is the one `npm start` builds. */
  distDir?: string;
}

function originOf(url: string | null): string[] {
  if (!url) return [];
  try {
    return [new URL(url).origin];
  } catch {
    return [];
  }
}

export function createConsoleCapability(options: ConsoleCapabilityOptions): Capability {
  const { config, db, chain } = options;
  let registry: Registry | null = null;
  const rpcUrl = config.console?.browserRpcUrl ?? chain.descriptor.rpcUrl;
  // The page fetches the provider's discovery document and redeems its code there (PKCE).
  const oidc = config.console?.oidc ?? null;
  return {
    metrics(nodeRegistry) {
      registry = nodeRegistry;
    },
    async routes(app: FastifyInstance) {
      await app.register(consoleStaticRoutes, { distDir: options.distDir ?? CONSOLE_DIST_DIR, connectOrigins: [...originOf(rpcUrl), ...originOf(oidc?.issuer ?? null)] });
      await app.register(consoleSessionRoutes, {
        config: {
          orgId: config.orgId,
          dev: config.dev,
          fhirBase: FHIR_BASE,
          chain: { kind: chain.descriptor.kind, chainId: chain.descriptor.chainId, rpcUrl, explorerTxUrl: config.console?.explorerTxUrl ?? null },
          signIn: { dev: config.dev, oidc: oidc ? { issuer: oidc.issuer, clientId: oidc.clientId, scopes: oidc.scopes } : null },
        },
        dev: config.dev ? { auth: openAuthStores(db), dataDir: config.dataDir, publicUrl: config.publicUrl } : null,
      });
      await app.register(operationsRoutes, { reads: new OperationsReads(db), backlog: new SqliteBatchStore(db), registry: () => registry });
      await app.register(cohortProgressRoutes, { cohorts: chain.cohorts, members: chain.members });
    },
    async stop() {},
  };
}
