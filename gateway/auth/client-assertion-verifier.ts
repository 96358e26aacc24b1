// Authenticates a backend client from its `client_assertion` (RFC 7523 section 3, SMART
// client-confidential-asymmetric): a JWT signed RS384 or ES384 by a key the client registered,
// iss = sub = client id, aud = this node's token URL, a short exp, no iat or nbf ahead of our
// clock (beyond the allowed skew) and a never-seen jti.
// Every failure is `invalid_client` (RFC 7523 section 3.2 and SMART Backend Services). What the
// caller can check without knowing our registrations (header, claims, lifetime) is refused with
// its precise reason. What would tell a stranger whether a client id or a kid exists (unknown or
// disabled client, unknown kid, a kid of the other algorithm, a bad signature) gets one answer,
// after one signature check either way (against a decoy key when no registered key matches), so
// neither the body nor the time taken says which it was. The precise reason goes to the log.

import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { compactVerify, decodeJwt, decodeProtectedHeader, errors as joseErrors, type JWTPayload } from 'jose';
import { algorithmOf, ASSERTION_ALGORITHMS, type AssertionAlgorithm, type ClientPublicJwk } from './client-jwks.js';
import type { ClientRegistry } from './client-registry.js';
import type { AssertionIdRecords, RegisteredClient } from './ports.js';
import { OAuthError } from './oauth-error.js';

/** SMART: the assertion's exp must be no more than five minutes in the future. */
const MAX_ASSERTION_LIFETIME_SECONDS = 300;

/** The one answer for every failure that depends on what is registered. */
const UNVERIFIED_CLIENT =
  'client_assertion is not signed by a key registered for an enabled client with this iss, kid and alg: check the registration';

export interface AssertionVerifierConfig {
  registry: ClientRegistry;
  /** The jti of every accepted assertion, so none is accepted twice. */
  replayGuard: AssertionIdRecords;
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
  const claims = readClaims(assertion, config);
  const clientId = claims.iss as string;

  const client = await config.registry.getClient(clientId);
  const jwk = client?.enabled ? client.jwks.keys.find((key) => key.kid === kid) : undefined;
  const usable = jwk !== undefined && algorithmOf(jwk) === alg;
  const signed = await signatureVerifies(assertion, publicKey(usable ? jwk : decoyKey(alg)), alg);
  if (!client || !client.enabled || !usable || !signed) {
    const why = !client
      ? `client "${clientId}" is not registered`
      : !client.enabled
        ? `client "${clientId}" is disabled`
        : !jwk
          ? `no key with kid "${kid}" is registered for client "${clientId}"`
          : !usable
            ? `key "${kid}" is registered for ${algorithmOf(jwk)}, not ${alg}`
            : 'the signature does not verify with the registered key';
    throw new OAuthError('invalid_client', UNVERIFIED_CLIENT, why);
  }

  const exp = claims.exp as number;
  if (!(await config.replayGuard.claim(client.clientId, claims.jti as string, exp * 1000))) {
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

/** The claims every valid assertion has, whoever sent it; nothing here reads the registry. */
function readClaims(assertion: string, config: AssertionVerifierConfig): JWTPayload {
  let claims: JWTPayload;
  try {
    claims = decodeJwt(assertion);
  } catch {
    throw invalidClient('client_assertion payload is not a JWT claims set');
  }
  for (const name of ['iss', 'sub', 'aud', 'exp', 'jti'] as const) {
    if (claims[name] === undefined) throw invalidClient(`client_assertion must carry ${name}`);
  }
  if (typeof claims.iss !== 'string' || claims.iss.length === 0 || claims.sub !== claims.iss) {
    throw invalidClient('client_assertion iss and sub must both be the client id');
  }
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.includes(config.tokenUrl)) throw invalidClient(`client_assertion aud must be the token URL ${config.tokenUrl}`);

  const nowSeconds = config.now() / 1000;
  const skew = config.clockSkewSeconds;
  const exp = numericDate(claims, 'exp')!;
  if (exp <= nowSeconds) throw invalidClient('client_assertion has expired');
  if (exp > nowSeconds + MAX_ASSERTION_LIFETIME_SECONDS + skew) {
    throw invalidClient(`client_assertion exp must be at most ${MAX_ASSERTION_LIFETIME_SECONDS} seconds in the future`);
  }
  // An assertion "issued" ahead of our clock could be minted now and used until then.
  const iat = numericDate(claims, 'iat');
  if (iat !== undefined && iat > nowSeconds + skew) {
    throw invalidClient(`client_assertion iat is in the future (more than ${skew} s ahead of the server clock): check the client's clock`);
  }
  const nbf = numericDate(claims, 'nbf');
  if (nbf !== undefined && nbf > nowSeconds + skew) throw invalidClient('client_assertion is not valid yet (nbf)');

  const jti = claims.jti;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256) {
    throw invalidClient('client_assertion must carry a jti of 1-256 characters');
  }
  return claims;
}

function numericDate(claims: JWTPayload, name: 'exp' | 'iat' | 'nbf'): number | undefined {
  const value = claims[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalidClient(`client_assertion ${name} must be a number of seconds`);
  return value;
}

async function signatureVerifies(assertion: string, key: KeyObject, alg: AssertionAlgorithm): Promise<boolean> {
  try {
    await compactVerify(assertion, key, { algorithms: [alg] });
    return true;
  } catch (error) {
    if (error instanceof joseErrors.JOSEError) return false;
    throw error;
  }
}

const decoys = new Map<AssertionAlgorithm, ClientPublicJwk>();

/**
 * A key nobody holds, of the kind a registered key for `alg` would be; a JWK like the stored
 * ones, so it is imported the same way on every use.
 */
function decoyKey(alg: AssertionAlgorithm): ClientPublicJwk {
  let jwk = decoys.get(alg);
  if (!jwk) {
    const pair =
      alg === 'RS384' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-384' });
    jwk = { ...pair.publicKey.export({ format: 'jwk' }), kid: 'decoy', alg } as ClientPublicJwk;
    decoys.set(alg, jwk);
  }
  return jwk;
}

function publicKey(jwk: ClientPublicJwk): KeyObject {
  return createPublicKey({ key: { ...jwk }, format: 'jwk' });
}

function invalidClient(description: string): OAuthError {
  return new OAuthError('invalid_client', description);
}
