// Authenticates a backend client from its `client_assertion` (RFC 7523 section 3, SMART
// client-confidential-asymmetric): a JWT signed RS384 or ES384 by a key the client registered,
// iss = sub = client id, aud = this node's token URL, a short exp and a never-seen jti.
// Every failure is `invalid_client` (RFC 7523 section 3.2 and SMART Backend Services).

import { createPublicKey, type KeyObject } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import type { AssertionReplayGuard } from './assertion-replay-guard.js';
import { algorithmOf, ASSERTION_ALGORITHMS, type AssertionAlgorithm, type ClientPublicJwk } from './client-jwks.js';
import type { ClientRegistry, RegisteredClient } from './client-registry.js';
import { OAuthError } from './oauth-error.js';

/** SMART: the assertion's exp must be no more than five minutes in the future. */
export const MAX_ASSERTION_LIFETIME_SECONDS = 300;

export interface AssertionVerifierConfig {
  registry: ClientRegistry;
  replayGuard: AssertionReplayGuard;
  /** The exact URL clients must put in `aud`. */
  tokenUrl: string;
  now: () => number;
  /**
   * Tolerance for a client clock running ahead of ours: applied to `nbf`/`iat` and to the
   * five-minute bound on `exp`, never to `exp` itself (an expired assertion stays expired).
   */
  clockSkewSeconds: number;
}

export async function verifyClientAssertion(
  assertion: string,
  config: AssertionVerifierConfig,
): Promise<RegisteredClient> {
  const { alg, kid } = readHeader(assertion);
  const issuer = readIssuer(assertion);
  const client = config.registry.getClient(issuer);
  if (!client) throw invalidClient(`client "${issuer}" is not registered`);
  if (!client.enabled) throw invalidClient(`client "${issuer}" is disabled`);
  const jwk = client.jwks.keys.find((key) => key.kid === kid);
  if (!jwk) throw invalidClient(`no key with kid "${kid}" is registered for client "${issuer}"`);
  if (algorithmOf(jwk) !== alg) throw invalidClient(`key "${kid}" is registered for ${algorithmOf(jwk)}, not ${alg}`);

  const now = config.now();
  const payload = await verifySignatureAndClaims(assertion, jwk, alg, client.clientId, config, now);
  const nowSeconds = now / 1000;
  const exp = payload.exp as number;
  if (exp <= nowSeconds) throw invalidClient('client_assertion has expired');
  if (exp > nowSeconds + MAX_ASSERTION_LIFETIME_SECONDS + config.clockSkewSeconds) {
    throw invalidClient(`client_assertion exp must be at most ${MAX_ASSERTION_LIFETIME_SECONDS} seconds in the future`);
  }
  const jti = payload.jti;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256) {
    throw invalidClient('client_assertion must carry a jti of 1-256 characters');
  }
  if (!config.replayGuard.claim(client.clientId, jti, exp * 1000)) {
    throw invalidClient('client_assertion jti has already been used');
  }
  return client;
}

function readHeader(assertion: string): { alg: AssertionAlgorithm; kid: string } {
  let header;
  try {
    header = decodeProtectedHeader(assertion);
  } catch {
    throw invalidClient('client_assertion is not a signed JWT');
  }
  // Checked before any key is touched: `none` and HMAC (HS256 with a public key as the secret)
  // must never reach signature verification.
  if (!ASSERTION_ALGORITHMS.includes(header.alg as AssertionAlgorithm)) {
    throw invalidClient(`client_assertion alg must be one of ${ASSERTION_ALGORITHMS.join(', ')} (got ${String(header.alg)})`);
  }
  if (typeof header.kid !== 'string' || header.kid.length === 0) {
    throw invalidClient('client_assertion header must carry the kid of the signing key');
  }
  return { alg: header.alg as AssertionAlgorithm, kid: header.kid };
}

function readIssuer(assertion: string): string {
  let claims: JWTPayload;
  try {
    claims = decodeJwt(assertion);
  } catch {
    throw invalidClient('client_assertion payload is not a JWT claims set');
  }
  if (typeof claims.iss !== 'string' || claims.iss.length === 0) throw invalidClient('client_assertion must carry iss');
  return claims.iss;
}

async function verifySignatureAndClaims(
  assertion: string,
  jwk: ClientPublicJwk,
  alg: AssertionAlgorithm,
  clientId: string,
  config: AssertionVerifierConfig,
  now: number,
): Promise<JWTPayload> {
  try {
    const { payload } = await jwtVerify(assertion, publicKey(jwk), {
      algorithms: [alg],
      issuer: clientId,
      subject: clientId,
      audience: config.tokenUrl,
      requiredClaims: ['iss', 'sub', 'aud', 'exp', 'jti'],
      currentDate: new Date(now),
      clockTolerance: config.clockSkewSeconds,
    });
    return payload;
  } catch (error) {
    throw invalidClient(describeJoseFailure(error, config.tokenUrl));
  }
}

function describeJoseFailure(error: unknown, tokenUrl: string): string {
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) {
    return 'client_assertion signature does not verify with the registered key';
  }
  if (error instanceof joseErrors.JWTExpired) return 'client_assertion has expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return `client_assertion aud must be the token URL ${tokenUrl}`;
    if (error.claim === 'sub' || error.claim === 'iss') return 'client_assertion iss and sub must both be the client id';
    return `client_assertion claim ${error.claim} is invalid: ${error.reason}`;
  }
  if (error instanceof joseErrors.JOSEError) return `client_assertion is invalid: ${error.message}`;
  throw error;
}

function publicKey(jwk: ClientPublicJwk): KeyObject {
  return createPublicKey({ key: { ...jwk }, format: 'jwk' });
}

function invalidClient(description: string): OAuthError {
  return new OAuthError('invalid_client', description);
}
