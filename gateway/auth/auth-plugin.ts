// The auth plugin: SMART discovery, the token endpoint, and bearer verification for every route.
// Wrapped with fastify-plugin so `app.smartAuth`, `request.principal` and the hook that writes
// WWW-Authenticate reach the routes registered after it (register it before the FHIR routes).

import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { BearerResult, SystemPrincipal } from './bearer-credential.js';
import { BearerAuthError } from './fhir-access.js';
import type { OidcTokenVerifier } from './oidc-token-verifier.js';
import { createSmartAuthService, type SmartAuthOptions, type SmartAuthService } from './smart-auth-service.js';
import { smartConfigurationRoutes } from './smart-configuration-routes.js';
import { tokenRoute } from './token-route.js';

export interface AuthPluginOptions extends SmartAuthOptions {
  /** FHIR base paths (e.g. `['/fhir', '/fhir/R4']`); each also serves the discovery document. */
  fhirBases?: string[];
  /** Also accept tokens of the hospital's OpenID Connect provider (console sign-in, CONSOLE_OIDC_*). */
  oidc?: OidcTokenVerifier;
}

export interface SmartAuth extends SmartAuthService {
  /** The request's bearer credential, resolved once per request and remembered. */
  authenticate(request: FastifyRequest): BearerResult;
}

declare module 'fastify' {
  interface FastifyInstance {
    smartAuth: SmartAuth;
  }
  interface FastifyRequest {
    /** The caller proven by the bearer token, or null (no token, or one that is invalid). */
    readonly principal: SystemPrincipal | null;
  }
}

async function auth(fastify: FastifyInstance, options: AuthPluginOptions): Promise<void> {
  const service = createSmartAuthService(options);
  // Resolved lazily: routes that never look at the caller pay nothing, and those that do pay one
  // hash and one indexed SQLite read, once.
  const resolved = new WeakMap<FastifyRequest, BearerResult>();
  const smartAuth: SmartAuth = {
    ...service,
    authenticate(request: FastifyRequest): BearerResult {
      let result = resolved.get(request);
      if (!result) {
        result = service.verifyBearer(request.headers.authorization);
        resolved.set(request, result);
      }
      return result;
    },
  };

  fastify.decorate('smartAuth', smartAuth);
  const oidc = options.oidc;
  if (oidc) {
    // A provider token needs its keys, maybe fetched over the network, so it is checked here,
    // before any route, and remembered; `request.principal` stays synchronous. Other JWTs
    // (consortium members' ES256K tokens) and the node's own tokens go the usual way.
    fastify.addHook('onRequest', async (request) => {
      const token = /^Bearer +(\S+) *$/i.exec(request.headers.authorization ?? '')?.[1];
      if (token && oidc.claimsIssuer(token)) resolved.set(request, await oidc.verify(token));
    });
  }
  fastify.decorateRequest('principal', {
    getter(this: FastifyRequest): SystemPrincipal | null {
      return smartAuth.authenticate(this).principal;
    },
  });
  fastify.addHook('onError', async (_request, reply, error) => {
    if (error instanceof BearerAuthError) reply.header('www-authenticate', error.challenge);
  });

  await fastify.register(smartConfigurationRoutes, {
    document: service.smartConfiguration,
    fhirBases: options.fhirBases ?? ['/fhir'],
  });
  await fastify.register(tokenRoute, { service });
}

export const authPlugin = fp(auth, { name: 'careledger-auth', fastify: '5.x' });
