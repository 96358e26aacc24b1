// The node's SMART Backend Services authorization server and resource-server check, built from
// the auth stores and the node's public URL. The fastify plugin is a thin layer over this; dev
// setup and CLI commands use it directly.

import { AccessTokenStore } from './access-token-store.js';
import { resolveBearer, type BearerResult } from './bearer-credential.js';
import { ClientRegistry } from './client-registry.js';
import type { AuthStores } from './ports.js';
import { buildSmartConfiguration, DEFAULT_SCOPES_SUPPORTED, type SmartConfiguration } from './smart-configuration.js';
import {
  exchangeClientCredentials,
  MAX_ACCESS_TOKEN_LIFETIME_SECONDS,
  type TokenExchangeConfig,
  type TokenRequestParams,
  type TokenGrant,
} from './token-exchange.js';

/** Where the token endpoint is mounted on the node. */
export const TOKEN_PATH = '/auth/token';

export interface SmartAuthOptions {
  /** Clients, access tokens and accepted assertion ids (gateway/store/auth-stores.ts over SQLite). */
  stores: AuthStores;
  /**
   * The URL clients reach the node at (scheme, host, port and any proxy path prefix), e.g.
   * `https://careledger.hospital.example`. The token URL, which client assertions must name as
   * `aud`, is this plus `/auth/token`.
   */
  publicBaseUrl: string;
  /** Epoch milliseconds; injectable so tests can move time. Defaults to Date.now. */
  now?: () => number;
  /** Access token lifetime, 1-300 seconds. Default 300. */
  accessTokenLifetimeSeconds?: number;
  /** How far ahead of ours a client's clock may run, 0-300 seconds. Default 60. */
  assertionClockSkewSeconds?: number;
  /** Advertised in the discovery document. Default: the wildcard system scopes. */
  scopesSupported?: string[];
}

export interface SmartAuthService {
  readonly tokenUrl: string;
  readonly registry: ClientRegistry;
  readonly smartConfiguration: SmartConfiguration;
  /** Handles a token request; throws OAuthError for every refusal. */
  exchange(params: TokenRequestParams): Promise<TokenGrant>;
  /** Resolves an `Authorization` header value to a principal. Synchronous: one indexed lookup. */
  verifyBearer(authorization: string | undefined): BearerResult;
}

const PURGE_INTERVAL_MS = 60_000;

export function createSmartAuthService(options: SmartAuthOptions): SmartAuthService {
  const now = options.now ?? Date.now;
  const tokenUrl = tokenUrlFor(options.publicBaseUrl);
  const lifetime = boundedInteger(
    options.accessTokenLifetimeSeconds ?? MAX_ACCESS_TOKEN_LIFETIME_SECONDS,
    1,
    MAX_ACCESS_TOKEN_LIFETIME_SECONDS,
    'accessTokenLifetimeSeconds',
  );
  const skew = boundedInteger(options.assertionClockSkewSeconds ?? 60, 0, 300, 'assertionClockSkewSeconds');
  const registry = new ClientRegistry(options.stores.clients, now);
  const tokens = new AccessTokenStore(options.stores.tokens);
  const replayGuard = options.stores.assertionIds;
  const exchangeConfig: TokenExchangeConfig = {
    registry,
    replayGuard,
    tokens,
    tokenUrl,
    now,
    clockSkewSeconds: skew,
    accessTokenLifetimeSeconds: lifetime,
  };
  let lastPurge = -Infinity;

  return {
    tokenUrl,
    registry,
    smartConfiguration: buildSmartConfiguration(tokenUrl, options.scopesSupported ?? DEFAULT_SCOPES_SUPPORTED),
    async exchange(params) {
      const at = now();
      // Expired rows are useless but harmless, so they are swept on the token path (rare) rather
      // than on a timer the node would have to stop.
      if (at - lastPurge >= PURGE_INTERVAL_MS) {
        lastPurge = at;
        await Promise.all([tokens.purgeExpired(at), replayGuard.purgeExpired(at)]);
      }
      return exchangeClientCredentials(params, exchangeConfig);
    },
    verifyBearer(authorization) {
      return resolveBearer(authorization, tokens, now());
    },
  };
}

function tokenUrlFor(publicBaseUrl: string): string {
  let url: URL;
  try {
    url = new URL(publicBaseUrl);
  } catch {
    throw new Error(`publicBaseUrl must be an absolute URL, got "${publicBaseUrl}"`);
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.search || url.hash) {
    throw new Error(`publicBaseUrl must be an http(s) URL without query or fragment, got "${publicBaseUrl}"`);
  }
  return url.origin + url.pathname.replace(/\/+$/, '') + TOKEN_PATH;
}

function boundedInteger(value: number, min: number, max: number, name: string): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}
