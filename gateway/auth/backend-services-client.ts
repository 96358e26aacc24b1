// Obtains access tokens from a SMART Backend Services token endpoint (an EHR's, or this node's)
// and reuses each one until shortly before it expires, so a sync loop can ask for a token before
// every request without minting a new one each time.

import { createClientAssertion, type ClientAssertionOptions } from './client-assertion.js';
import { JWT_BEARER_ASSERTION_TYPE } from './token-exchange.js';

export interface BackendServicesTokenRequest extends Omit<ClientAssertionOptions, 'lifetimeSeconds'> {
  /** Space-delimited scopes, e.g. `system/Patient.rs system/Observation.rs`. */
  scope: string;
  /** Where tokens are reused from. Default: one cache shared by the process. */
  cache?: BackendServicesTokenCache;
  fetch?: typeof fetch;
  /** Default 10 seconds. */
  timeoutMs?: number;
}

export interface BackendServicesToken {
  accessToken: string;
  tokenType: string;
  /** What the server granted, which may be narrower than what was asked for. */
  scope: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

/** The token endpoint refused (`error` is the RFC 6749 code) or answered with something unusable. */
export class BackendServicesTokenError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string | undefined,
  ) {
    super(`token endpoint answered ${status} ${error}${description ? `: ${description}` : ''}`);
    this.name = 'BackendServicesTokenError';
  }
}

interface CacheEntry {
  token: BackendServicesToken;
  refreshAt: number;
}

/** Tokens by endpoint, client, key and scope, plus the requests in flight so callers share one. */
export class BackendServicesTokenCache {
  private readonly entries = new Map<string, CacheEntry>();
  private readonly pending = new Map<string, Promise<BackendServicesToken>>();

  obtain(key: string, now: number, fetchEntry: () => Promise<CacheEntry>): Promise<BackendServicesToken> {
    const cached = this.entries.get(key);
    if (cached && now < cached.refreshAt) return Promise.resolve(cached.token);
    const inFlight = this.pending.get(key);
    if (inFlight) return inFlight;
    const pending = fetchEntry()
      .then((entry) => {
        this.entries.set(key, entry);
        return entry.token;
      })
      .finally(() => this.pending.delete(key));
    this.pending.set(key, pending);
    return pending;
  }

  clear(): void {
    this.entries.clear();
  }
}

const sharedCache = new BackendServicesTokenCache();
/** Tokens without `expires_in` are treated as living this long. */
const ASSUMED_LIFETIME_MS = 60_000;
const MAX_REFRESH_MARGIN_MS = 60_000;

export async function fetchBackendServicesToken(request: BackendServicesTokenRequest): Promise<BackendServicesToken> {
  const cache = request.cache ?? sharedCache;
  const now = request.now ?? Date.now;
  const key = [request.tokenUrl, request.clientId, request.alg, request.kid, request.scope].join('\n');
  return cache.obtain(key, now(), () => requestToken(request, now));
}

async function requestToken(request: BackendServicesTokenRequest, now: () => number): Promise<CacheEntry> {
  const assertion = await createClientAssertion({ ...request, now });
  const requestedAt = now();
  const response = await (request.fetch ?? fetch)(request.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_assertion_type: JWT_BEARER_ASSERTION_TYPE,
      client_assertion: assertion,
      scope: request.scope,
    }),
    signal: AbortSignal.timeout(request.timeoutMs ?? 10_000),
  });
  const body = (await response.json().catch(() => undefined)) as Record<string, unknown> | undefined;
  if (!response.ok) {
    throw new BackendServicesTokenError(
      response.status,
      typeof body?.error === 'string' ? body.error : 'invalid_response',
      typeof body?.error_description === 'string' ? body.error_description : undefined,
    );
  }
  if (typeof body?.access_token !== 'string' || typeof body.token_type !== 'string') {
    throw new BackendServicesTokenError(response.status, 'invalid_response', 'no access_token or token_type in the response');
  }
  if (body.token_type.toLowerCase() !== 'bearer') {
    throw new BackendServicesTokenError(response.status, 'invalid_response', `token_type ${body.token_type} is not Bearer`);
  }
  // Measured from before the request went out, so network time only makes the estimate earlier.
  const lifetimeMs = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in * 1000 : ASSUMED_LIFETIME_MS;
  const expiresAt = requestedAt + lifetimeMs;
  return {
    token: {
      accessToken: body.access_token,
      tokenType: 'Bearer',
      scope: typeof body.scope === 'string' ? body.scope : request.scope,
      expiresAt,
    },
    refreshAt: expiresAt - Math.min(MAX_REFRESH_MARGIN_MS, lifetimeMs / 5),
  };
}
