// The SMART discovery document (`/.well-known/smart-configuration`, SMART App Launch 2.x
// "Conformance") for a server that offers Backend Services only: no authorization endpoint, no
// user-facing launch, so no PKCE methods or response types are advertised.

import { ASSERTION_ALGORITHMS } from './client-jwks.js';

export interface SmartConfiguration {
  token_endpoint: string;
  grant_types_supported: string[];
  token_endpoint_auth_methods_supported: string[];
  token_endpoint_auth_signing_alg_values_supported: string[];
  scopes_supported: string[];
  capabilities: string[];
}

/** Wildcard forms; type-specific ones (`system/Patient.rs`) are accepted as well. */
export const DEFAULT_SCOPES_SUPPORTED = [
  'system/*.cruds',
  'system/*.rs',
  'system/*.read',
  'system/*.write',
  'system/*.*',
];

export function buildSmartConfiguration(tokenUrl: string, scopesSupported: readonly string[]): SmartConfiguration {
  return {
    token_endpoint: tokenUrl,
    grant_types_supported: ['client_credentials'],
    token_endpoint_auth_methods_supported: ['private_key_jwt'],
    token_endpoint_auth_signing_alg_values_supported: [...ASSERTION_ALGORITHMS],
    scopes_supported: [...scopesSupported],
    capabilities: ['client-confidential-asymmetric', 'permission-v1', 'permission-v2'],
  };
}

const stringArray = { type: 'array', items: { type: 'string' } } as const;

export const smartConfigurationSchema = {
  type: 'object',
  required: [
    'token_endpoint',
    'grant_types_supported',
    'token_endpoint_auth_methods_supported',
    'token_endpoint_auth_signing_alg_values_supported',
    'scopes_supported',
    'capabilities',
  ],
  properties: {
    token_endpoint: { type: 'string' },
    grant_types_supported: stringArray,
    token_endpoint_auth_methods_supported: stringArray,
    token_endpoint_auth_signing_alg_values_supported: stringArray,
    scopes_supported: stringArray,
    capabilities: stringArray,
  },
} as const;
