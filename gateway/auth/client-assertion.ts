// The client side of private_key_jwt: the signed JWT a Backend Services client presents at a
// token endpoint (SMART client-confidential-asymmetric). Used by the node when it pulls from an
// EHR's FHIR server, and by tests and dev tooling against the node's own endpoint.

import { randomUUID, type KeyObject } from 'node:crypto';
import { SignJWT, type CryptoKey, type JWK } from 'jose';
import type { AssertionAlgorithm } from './client-jwks.js';

export type SigningKey = CryptoKey | KeyObject | JWK;

export interface ClientAssertionOptions {
  clientId: string;
  /** The token endpoint URL, exactly as the server advertises it; it becomes `aud`. */
  tokenUrl: string;
  privateKey: SigningKey;
  alg: AssertionAlgorithm;
  /** The kid of the matching public key in the client's registered JWKS. */
  kid: string;
  /** 1-300 seconds (servers refuse assertions that expire later). Default 300. */
  lifetimeSeconds?: number;
  /** Epoch milliseconds. Default Date.now. */
  now?: () => number;
}

export async function createClientAssertion(options: ClientAssertionOptions): Promise<string> {
  const lifetime = options.lifetimeSeconds ?? 300;
  if (!Number.isInteger(lifetime) || lifetime < 1 || lifetime > 300) {
    throw new Error(`lifetimeSeconds must be an integer from 1 to 300, got ${lifetime}`);
  }
  const nowSeconds = Math.floor((options.now ?? Date.now)() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: options.alg, kid: options.kid, typ: 'JWT' })
    .setIssuer(options.clientId)
    .setSubject(options.clientId)
    .setAudience(options.tokenUrl)
    .setJti(randomUUID())
    .setExpirationTime(nowSeconds + lifetime)
    .sign(options.privateKey);
}
