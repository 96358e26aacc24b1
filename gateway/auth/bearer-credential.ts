// Turns an `Authorization` header into the principal it proves, or the reason it proves nothing.

import type { AccessTokenStore } from './access-token-store.js';

/** Who is calling. Backend Services clients are the only kind this node issues tokens to. */
export interface SystemPrincipal {
  kind: 'system';
  clientId: string;
  scopes: string[];
}

export type BearerResult =
  | { principal: SystemPrincipal; problem?: undefined }
  /** `problem` is undefined when no credential was presented at all (RFC 6750 section 3.1). */
  | { principal: null; problem?: { error: 'invalid_token'; description: string } };

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

export function resolveBearer(
  authorization: string | undefined,
  tokens: AccessTokenStore,
  now: number,
): BearerResult {
  if (authorization === undefined || authorization === '') return { principal: null };
  const match = BEARER.exec(authorization);
  // A malformed header is reported as an invalid token (401) rather than RFC 6750's optional 400:
  // a FHIR client reacts to 401 by fetching a new token, which is what it needs to do.
  if (!match) {
    return {
      principal: null,
      problem: { error: 'invalid_token', description: 'Authorization header must be "Bearer <access token>"' },
    };
  }
  const found = tokens.lookup(match[1], now);
  if (found.status === 'expired') {
    return { principal: null, problem: { error: 'invalid_token', description: 'The access token has expired' } };
  }
  if (found.status === 'unknown') {
    return {
      principal: null,
      problem: { error: 'invalid_token', description: 'The access token is not recognised or has been revoked' },
    };
  }
  return { principal: { kind: 'system', clientId: found.clientId, scopes: found.scopes } };
}
