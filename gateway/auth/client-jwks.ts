// Validation of the public key set a backend client registers. Only what the token endpoint can
// verify is accepted (RSA keys for RS384, P-384 EC keys for ES384), private key material is
// refused so it never lands in the database, and every key is normalized to its public members.

import { createPublicKey } from 'node:crypto';

export type AssertionAlgorithm = 'RS384' | 'ES384';
export const ASSERTION_ALGORITHMS: readonly AssertionAlgorithm[] = ['RS384', 'ES384'];

export interface RsaPublicJwk {
  kty: 'RSA';
  kid: string;
  alg: 'RS384';
  use?: 'sig';
  n: string;
  e: string;
}

export interface EcPublicJwk {
  kty: 'EC';
  kid: string;
  alg: 'ES384';
  use?: 'sig';
  crv: 'P-384';
  x: string;
  y: string;
}

export type ClientPublicJwk = RsaPublicJwk | EcPublicJwk;

export interface ClientJwks {
  keys: ClientPublicJwk[];
}

export class ClientRegistrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClientRegistrationError';
  }
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const MIN_RSA_BITS = 2048;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** The algorithm a key signs with, from its key type. */
export function algorithmOf(key: ClientPublicJwk): AssertionAlgorithm {
  return key.kty === 'RSA' ? 'RS384' : 'ES384';
}

/** Validates a JWK Set (`{ "keys": [...] }`) and returns it reduced to public members. */
export function validateClientJwks(input: unknown): ClientJwks {
  if (!isRecord(input) || !Array.isArray(input.keys)) {
    throw new ClientRegistrationError('jwks must be a JWK Set: an object with a "keys" array');
  }
  if (input.keys.length === 0) throw new ClientRegistrationError('jwks.keys must hold at least one key');
  const seen = new Set<string>();
  const keys = input.keys.map((key, index) => {
    const jwk = validateKey(key, index);
    if (seen.has(jwk.kid)) throw new ClientRegistrationError(`jwks.keys[${index}]: kid "${jwk.kid}" is not unique`);
    seen.add(jwk.kid);
    return jwk;
  });
  return { keys };
}

function validateKey(key: unknown, index: number): ClientPublicJwk {
  const where = `jwks.keys[${index}]`;
  if (!isRecord(key)) throw new ClientRegistrationError(`${where} must be an object`);
  const leaked = PRIVATE_MEMBERS.filter((member) => member in key);
  if (leaked.length > 0) {
    throw new ClientRegistrationError(
      `${where} holds private key material (${leaked.join(', ')}); register the public key only`,
    );
  }
  if (typeof key.kid !== 'string' || key.kid.length === 0 || key.kid.length > 256) {
    throw new ClientRegistrationError(`${where}.kid must be a non-empty string (clients select keys by kid)`);
  }
  if (key.use !== undefined && key.use !== 'sig') {
    throw new ClientRegistrationError(`${where}.use must be "sig" when present`);
  }
  if (key.key_ops !== undefined && !(Array.isArray(key.key_ops) && key.key_ops.includes('verify'))) {
    throw new ClientRegistrationError(`${where}.key_ops must include "verify" when present`);
  }
  const use = key.use === 'sig' ? { use: 'sig' as const } : {};
  if (key.kty === 'RSA') {
    if (key.alg !== undefined && key.alg !== 'RS384') {
      throw new ClientRegistrationError(`${where}: an RSA key must have alg RS384 (got ${String(key.alg)})`);
    }
    const n = base64url(key.n, `${where}.n`);
    const e = base64url(key.e, `${where}.e`);
    const jwk: RsaPublicJwk = { kty: 'RSA', kid: key.kid, alg: 'RS384', ...use, n, e };
    const bits = publicKeyOf(jwk, where).asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) {
      throw new ClientRegistrationError(`${where}: RSA modulus is ${bits} bits, at least ${MIN_RSA_BITS} required`);
    }
    return jwk;
  }
  if (key.kty === 'EC') {
    if (key.crv !== 'P-384') {
      throw new ClientRegistrationError(`${where}: an EC key must use crv P-384 for ES384 (got ${String(key.crv)})`);
    }
    if (key.alg !== undefined && key.alg !== 'ES384') {
      throw new ClientRegistrationError(`${where}: a P-384 key must have alg ES384 (got ${String(key.alg)})`);
    }
    const jwk: EcPublicJwk = {
      kty: 'EC',
      kid: key.kid,
      alg: 'ES384',
      ...use,
      crv: 'P-384',
      x: base64url(key.x, `${where}.x`),
      y: base64url(key.y, `${where}.y`),
    };
    publicKeyOf(jwk, where);
    return jwk;
  }
  throw new ClientRegistrationError(`${where}.kty must be "RSA" (RS384) or "EC" (ES384), got ${String(key.kty)}`);
}

function publicKeyOf(jwk: ClientPublicJwk, where: string) {
  try {
    return createPublicKey({ key: { ...jwk }, format: 'jwk' });
  } catch (cause) {
    throw new ClientRegistrationError(`${where} is not a usable public key: ${(cause as Error).message}`);
  }
}

function base64url(value: unknown, where: string): string {
  if (typeof value !== 'string' || !BASE64URL.test(value)) {
    throw new ClientRegistrationError(`${where} must be a base64url string`);
  }
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
