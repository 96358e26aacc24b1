// The HTTP face of the node. Order matters (fastify encapsulation): auth first, so its
// decorations reach every route after it, then the FHIR bases, then the operational routes.

import fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { authPlugin } from '../auth/auth-plugin.js';
import { TOKEN_PATH } from '../auth/smart-auth-service.js';
import { requireFhirAccess } from '../auth/fhir-access.js';
import type { OidcTokenVerifier } from '../auth/oidc-token-verifier.js';
import { requestLimits, type RequestLimits } from '../config.js';
import { openAuthStores } from '../store/auth-stores.js';
import type { Db } from '../store/database.js';
import type { Authorize } from '../fhir/authorize.js';
import type { FhirRoutesOptions } from '../fhir/options.js';
import { fhirRoutes } from '../fhir/plugin.js';
import { FHIR_BASE, FHIR_R4_BASE } from './fhir-bases.js';
import { healthRoutes, type HealthRoutesOptions } from './health-routes.js';
import { refusalReason } from './metrics.js';
import { redactedLogging } from './log-redaction.js';
import { requestGuardsPlugin } from './request-guards.js';

export interface AppOptions {
  db: Db;
  publicUrl: string;
  bodyLimitBytes: number;
  /** Default: the documented defaults (config.ts requestLimits). */
  limits?: RequestLimits;
  logger: FastifyServerOptions['logger'];
  fhir: Omit<FhirRoutesOptions, 'authorize' | 'baseUrl' | 'fhirVersion' | 'bodyLimit' | 'limits'>;
  health: HealthRoutesOptions;
  /** Wraps the SMART check of the FHIR routes, e.g. to admit consortium members' JWTs (gateway/consent). */
  authorize?: (system: Authorize) => Authorize;
  /** Accept the hospital OpenID Connect provider's tokens too (console sign-in). */
  oidc?: OidcTokenVerifier;
  /** More plugins under /fhir (Bulk export, Subscriptions, consent...), registered after the core routes. */
  extensions?: Array<(app: FastifyInstance) => Promise<void>>;
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const limits = options.limits ?? requestLimits({});
  const app = fastify({
    ...redactedLogging(options.logger),
    bodyLimit: options.bodyLimitBytes,
    connectionTimeout: limits.http.idleTimeoutMs,
    keepAliveTimeout: limits.http.keepAliveTimeoutMs,
    requestTimeout: limits.http.requestTimeoutMs,
    // Node checks the header and request deadlines every 30 s by default; once a second keeps a
    // trickling client from holding its socket half a minute past them.
    http: {
      headersTimeout: limits.http.headersTimeoutMs,
      requestTimeout: limits.http.requestTimeoutMs,
      connectionsCheckingInterval: 1000,
    },
  });
  await app.register(authPlugin, { stores: openAuthStores(options.db), publicBaseUrl: options.publicUrl, fhirBases: [FHIR_BASE, FHIR_R4_BASE], ...(options.oidc ? { oidc: options.oidc } : {}) });
  await app.register(requestGuardsPlugin, limits);
  // One counter increment per refused request, for /metrics and the console's Operations view.
  app.addHook('onResponse', async (_request, reply) => {
    if (reply.statusCode >= 400) options.health.metrics.refused.inc({ reason: refusalReason(reply.statusCode) });
  });

  // $receipt and $verify-anchor only read; an operation that changes data checks its own scope.
  const systemAuthorize: Authorize = (request, type, interaction) => {
    requireFhirAccess(request, type, interaction, interaction === 'operation' ? { permissions: 'r' } : {});
  };
  const shared = {
    ...options.fhir,
    authorize: options.authorize ? options.authorize(systemAuthorize) : systemAuthorize,
    baseUrl: `${options.publicUrl}${FHIR_BASE}`,
    // Advertised in each base's CapabilityStatement (rest.security): clients such as the Bulk Data
    // client find the token endpoint there, not only at /.well-known/smart-configuration.
    smart: options.fhir.smart ?? { token: `${options.publicUrl}${TOKEN_PATH}` },
    bodyLimit: options.bodyLimitBytes,
    search: { ...options.fhir.search, maxCount: limits.searchMaxCount, maxParameters: limits.searchMaxParameters },
    limits: { maxJsonDepth: limits.maxJsonDepth, bundleMaxEntries: limits.bundleMaxEntries, batchMaxResources: limits.batchMaxResources },
  };
  await app.register(fhirRoutes, { ...shared, prefix: FHIR_R4_BASE, fhirVersion: 'R4' });
  await app.register(fhirRoutes, { ...shared, prefix: FHIR_BASE, fhirVersion: 'R5' });
  for (const extension of options.extensions ?? []) await app.register(extension);
  await app.register(healthRoutes, options.health);
  return app;
}
