// The token endpoint's logic, HTTP aside: a client_credentials request authenticated by a
// private_key_jwt assertion becomes a short-lived access token for the scopes the client both
// asked for and is allowed.

import type { AccessTokenStore } from './access-token-store.js';
import { verifyClientAssertion, type AssertionVerifierConfig } from './client-assertion-verifier.js';
import { OAuthError } from './oauth-error.js';
import { grantScopes, splitScopeParameter } from './smart-scopes.js';

export const JWT_BEARER_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** SMART Backend Services recommends access tokens of five minutes at most. */
export const MAX_ACCESS_TOKEN_LIFETIME_SECONDS = 300;

export type TokenRequestParams = Record<string, string | undefined>;

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
}

export interface TokenGrant {
  clientId: string;
  response: TokenResponse;
}

export interface TokenExchangeConfig extends AssertionVerifierConfig {
  tokens: AccessTokenStore;
  accessTokenLifetimeSeconds: number;
}

export async function exchangeClientCredentials(
  params: TokenRequestParams,
  config: TokenExchangeConfig,
): Promise<TokenGrant> {
  if (!params.grant_type) throw new OAuthError('invalid_request', 'grant_type is required');
  if (params.grant_type !== 'client_credentials') {
    throw new OAuthError('unsupported_grant_type', 'only grant_type=client_credentials is supported');
  }
  if (!params.client_assertion_type || !params.client_assertion) {
    throw new OAuthError(
      'invalid_client',
      `client authentication is required: client_assertion_type=${JWT_BEARER_ASSERTION_TYPE} and a client_assertion`,
    );
  }
  if (params.client_assertion_type !== JWT_BEARER_ASSERTION_TYPE) {
    throw new OAuthError('invalid_client', `client_assertion_type must be ${JWT_BEARER_ASSERTION_TYPE}`);
  }
  const client = await verifyClientAssertion(params.client_assertion, config);
  if (params.client_id !== undefined && params.client_id !== client.clientId) {
    throw new OAuthError('invalid_client', 'client_id does not match the client_assertion issuer');
  }

  const requested = splitScopeParameter(params.scope);
  if (requested.length === 0) throw new OAuthError('invalid_scope', 'scope is required, e.g. scope=system/*.rs');
  const granted = grantScopes(requested, client.scopes);
  if (granted.length === 0) {
    throw new OAuthError(
      'invalid_scope',
      `none of the requested scopes is allowed for this client (allowed: ${client.scopes.join(' ')})`,
    );
  }

  const lifetimeSeconds = Math.min(config.accessTokenLifetimeSeconds, MAX_ACCESS_TOKEN_LIFETIME_SECONDS);
  const issued = await config.tokens.issue(client.clientId, granted, config.now(), lifetimeSeconds * 1000);
  return {
    clientId: client.clientId,
    response: {
      access_token: issued.accessToken,
      token_type: 'Bearer',
      expires_in: lifetimeSeconds,
      scope: granted.join(' '),
    },
  };
}
