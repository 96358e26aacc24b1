// Access tokens for pulling from an EHR: SMART Backend Services (client_credentials with a
// signed RS384/ES384 JWT assertion). Tokens are cached until shortly before expiry; a 401 from
// the FHIR server drops the cache so the next request gets a fresh one.

import {
  BackendServicesTokenCache,
  fetchBackendServicesToken,
} from '../../gateway/auth/backend-services-client.js';
import type { SigningKey } from '../../gateway/auth/client-assertion.js';
import type { AssertionAlgorithm } from '../../gateway/auth/client-jwks.js';

export interface AccessTokenSource {
  token(): Promise<string>;
  /** Forget the cached token (the server refused it). */
  invalidate(): void;
}

export interface SmartBackendServicesConfig {
  clientId: string;
  privateKey: SigningKey;
  alg: AssertionAlgorithm;
  kid: string;
  /** e.g. `system/Patient.rs system/Observation.rs`. */
  scope: string;
  /** The token endpoint; when absent it is read from `<fhirBase>/.well-known/smart-configuration`. */
  tokenUrl?: string;
  fhirBase?: string;
  fetch?: typeof fetch;
}

export function smartBackendServicesAuth(config: SmartBackendServicesConfig): AccessTokenSource {
  const cache = new BackendServicesTokenCache();
  let tokenUrl: Promise<string> | undefined = config.tokenUrl ? Promise.resolve(config.tokenUrl) : undefined;
  return {
    async token() {
      tokenUrl ??= discoverTokenUrl(config);
      const url = await tokenUrl.catch((error: unknown) => {
        tokenUrl = undefined;
        throw error;
      });
      const token = await fetchBackendServicesToken({
        clientId: config.clientId,
        privateKey: config.privateKey,
        alg: config.alg,
        kid: config.kid,
        scope: config.scope,
        tokenUrl: url,
        cache,
        fetch: config.fetch,
      });
      return token.accessToken;
    },
    invalidate() {
      cache.clear();
    },
  };
}

async function discoverTokenUrl(config: SmartBackendServicesConfig): Promise<string> {
  if (!config.fhirBase) throw new Error('SMART auth needs tokenUrl or fhirBase to discover it');
  const url = `${config.fhirBase.replace(/\/+$/, '')}/.well-known/smart-configuration`;
  const response = await (config.fetch ?? fetch)(url, { headers: { accept: 'application/json' } });
  const body = (await response.json().catch(() => undefined)) as { token_endpoint?: unknown } | undefined;
  if (!response.ok || typeof body?.token_endpoint !== 'string') {
    throw new Error(`${url} answered ${response.status} without a token_endpoint`);
  }
  return body.token_endpoint;
}
