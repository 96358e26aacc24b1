// Checks a token the hospital's OpenID Connect provider issued to the console (CONSOLE_OIDC_*):
// the provider's discovery document names its JWKS, whose keys are fetched and cached by jose;
// the signature (RS256, ES256 or EdDSA only), `iss`, `aud` (the console's client id), `exp` and
// `nbf` must hold, and the role claim must name a role this node maps (oidc-role-scopes.ts).
// The result is a principal like any other, so every route applies its usual scope checks.

import { createRemoteJWKSet, decodeJwt, errors, jwtVerify, type JWTPayload } from 'jose';
import type { BearerResult } from './bearer-credential.js';
import { DEFAULT_ROLE_CLAIM, rolesInClaims, scopesForRoles } from './oidc-role-scopes.js';

export const OIDC_ALGORITHMS = ['RS256', 'ES256', 'EdDSA'];
/** How far the provider's clock may be from ours, in seconds. */
const CLOCK_TOLERANCE_SECONDS = 30;
const DISCOVERY_TIMEOUT_MS = 5_000;
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

export interface OidcSettings {
  /** The provider's issuer identifier, exactly as its tokens carry it in `iss`. */
  issuer: string;
  /** The console's client id at the provider: tokens must carry it in `aud`. */
  clientId: string;
  /** Where the roles are in the token's claims (dotted path). Default `groups`. */
  roleClaim?: string;
}

export interface OidcTokenVerifier {
  readonly issuer: string;
  /** True when the token is a JWT naming the configured issuer (unverified: for routing only). */
  claimsIssuer(token: string): boolean;
  /** The principal the token proves, or why it proves nothing. Never throws. */
  verify(token: string): Promise<BearerResult>;
}

interface DiscoveryDocument {
  issuer: string;
  jwks_uri: string;
}

export function createOidcTokenVerifier(settings: OidcSettings): OidcTokenVerifier {
  const roleClaim = settings.roleClaim ?? DEFAULT_ROLE_CLAIM;
  let keys: Promise<ReturnType<typeof createRemoteJWKSet>> | null = null;
  // Discovery runs once; a failure is forgotten so that the next token retries it.
  const jwks = () => {
    if (!keys) {
      keys = discover(settings.issuer).then((doc) => createRemoteJWKSet(new URL(doc.jwks_uri)));
      keys.catch(() => {
        keys = null;
      });
    }
    return keys;
  };

  return {
    issuer: settings.issuer,
    claimsIssuer(token) {
      if (!JWT_SHAPE.test(token)) return false;
      try {
        return decodeJwt(token).iss === settings.issuer;
      } catch {
        return false;
      }
    },
    async verify(token) {
      let keySet: ReturnType<typeof createRemoteJWKSet>;
      try {
        keySet = await jwks();
      } catch (error) {
        return refused(`The node could not read the sign-in provider's keys (${(error as Error).message}): try again shortly, or ask IT to check CONSOLE_OIDC_ISSUER`);
      }
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, keySet, {
          issuer: settings.issuer,
          audience: settings.clientId,
          algorithms: OIDC_ALGORITHMS,
          requiredClaims: ['exp', 'sub'],
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
        }));
      } catch (error) {
        return refused(explain(error));
      }
      const scopes = scopesForRoles(rolesInClaims(payload, roleClaim));
      if (scopes.length === 0) {
        return refused(`The sign-in token carries no role this node grants (claim "${roleClaim}"): ask IT to give you careledger-staff or careledger-it`);
      }
      return { principal: { kind: 'system', clientId: `oidc:${payload.sub}`, scopes } };
    },
  };
}

async function discover(issuer: string): Promise<DiscoveryDocument> {
  const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  const response = await fetch(url, { signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS), headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`${url} answered HTTP ${response.status}`);
  const doc = (await response.json()) as Partial<DiscoveryDocument>;
  // OpenID Connect Discovery 1.0 section 4.3: the document must name the issuer it was fetched for.
  if (doc.issuer !== issuer) throw new Error(`${url} names the issuer "${String(doc.issuer)}", not "${issuer}"`);
  if (typeof doc.jwks_uri !== 'string' || !/^https?:\/\//.test(doc.jwks_uri)) throw new Error(`${url} has no http(s) jwks_uri`);
  return { issuer: doc.issuer, jwks_uri: doc.jwks_uri };
}

function explain(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'The sign-in token has expired: sign in again';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'iss') return 'The sign-in token was not issued by the provider this node trusts (CONSOLE_OIDC_ISSUER): sign in through the console';
    if (error.claim === 'aud') return 'The sign-in token was issued to another application, not this console (CONSOLE_OIDC_CLIENT_ID): sign in through the console';
    if (error.claim === 'nbf') return 'The sign-in token is not valid yet: check the clocks of this machine and the provider';
    return `The sign-in token's "${error.claim}" claim is missing or wrong: sign in again`;
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return `The sign-in token is signed with an algorithm this node does not accept (only ${OIDC_ALGORITHMS.join(', ')})`;
  if (error instanceof errors.JWKSNoMatchingKey) return "The sign-in token is signed with a key the provider does not publish: sign in again";
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'The sign-in token signature does not verify: sign in again';
  if (error instanceof errors.JOSEError) return `The sign-in token is not valid (${error.code}): sign in again`;
  return `The sign-in token could not be checked (${(error as Error).message}): sign in again`;
}

function refused(description: string): BearerResult {
  return { principal: null, problem: { error: 'invalid_token', description } };
}
