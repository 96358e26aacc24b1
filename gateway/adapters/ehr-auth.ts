// The node's SMART Backend Services identity at the EHR, from configuration: one token source
// shared by REST sync and the Subscriptions receiver's id-only fetches, so they share one cached
// token instead of each asking the EHR for its own.

import type { EhrAuthConfig } from '../config.js';
import { smartBackendServicesAuth, type AccessTokenSource } from '../../fhir-adapters/rest-sync/smart-backend-auth.js';

export function ehrTokenSource(config: EhrAuthConfig, fhirBase: string | undefined): AccessTokenSource {
  return smartBackendServicesAuth({
    clientId: config.clientId,
    privateKey: config.privateKey,
    alg: config.alg,
    kid: config.kid,
    scope: config.scope,
    ...(config.tokenUrl ? { tokenUrl: config.tokenUrl } : {}),
    ...(fhirBase ? { fhirBase } : {}),
  });
}
