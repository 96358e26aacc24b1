// Member JWTs: how a consortium member's practitioner calls another hospital's FHIR API. A compact
// JWS signed ES256K (RFC 8812) with the member's secp256k1 signer key, whose address is the `kid`.
// jose has no secp256k1, so signing and recovery use ethers over the JWS signing input: the
// signature is r || s of SHA-256(signing input), low s; the verifier recovers the public key for
// each recovery id and keeps the one whose address is `kid`. Whether `kid` speaks for `iss` is the
// ConsortiumRegistry's call (member-authenticator.ts), not this file's.

import { Signature, SigningKey, computeAddress, getBytes, hexlify, sha256, toUtf8Bytes } from 'ethers';
import { type KeyObject, createPublicKey, verify } from 'node:crypto';
import type { Hex } from '../ledger/ports.js';
import type { PurposeCode } from './purpose-of-use.js';

const MEMBER_JWT_ALG = 'ES256K';
/** Longest lifetime a member JWT may have: it is single use and minted per request. */
export const MEMBER_JWT_MAX_LIFETIME_SECONDS = 300;

export interface MemberJwtClaims {
  /** The calling member: its bytes32 member id (0x-hex) or its org id. */
  iss: string;
  /** The practitioner of that member who acts. */
  sub: string;
  /** The serving node's public URL (or its FHIR base). */
  aud: string | string[];
  exp: number;
  iat: number;
  jti: string;
  /** HL7 v3 PurposeOfUse code of this access. */
  purpose: PurposeCode;
  /** Present on a break-glass (emergency) read: why consent is bypassed. */
  break_glass_reason?: string;
}

export interface ParsedMemberJwt {
  kid: Hex;
  claims: Record<string, unknown>;
  signingInput: string;
  signature: Uint8Array;
}

const HALF_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;

/** Signs claims with a member signer key (0x-hex private key). */
export function signMemberJwt(privateKey: string, claims: MemberJwtClaims): string {
  const key = new SigningKey(privateKey);
  const header = { alg: MEMBER_JWT_ALG, typ: 'JWT', kid: computeAddress(key.publicKey).toLowerCase() };
  const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const signature = key.sign(sha256(toUtf8Bytes(signingInput)));
  return `${signingInput}.${Buffer.from(getBytes(signature.r + signature.s.slice(2))).toString('base64url')}`;
}

/** True when a bearer credential is shaped like a member JWT (ES256K header); says nothing of validity. */
export function isMemberJwt(token: string): boolean {
  const dot = token.indexOf('.');
  if (dot <= 0 || token.split('.').length !== 3) return false;
  const header = decodeJson(token.slice(0, dot));
  return header?.alg === MEMBER_JWT_ALG;
}

/** Splits and decodes a compact JWS; null when it is not a well-formed ES256K JWT with an address kid. */
export function parseMemberJwt(token: string): ParsedMemberJwt | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  const header = decodeJson(parts[0]!);
  const claims = decodeJson(parts[1]!);
  if (!header || !claims || header.alg !== MEMBER_JWT_ALG) return null;
  if (header.typ !== undefined && header.typ !== 'JWT') return null;
  if (typeof header.kid !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(header.kid)) return null;
  const signature = Buffer.from(parts[2]!, 'base64url');
  if (signature.length !== 64) return null;
  return { kid: header.kid.toLowerCase() as Hex, claims, signingInput: `${parts[0]}.${parts[1]}`, signature };
}

/**
 * Whether the JWS signature was made by the key of `parsed.kid`. Rejects high-s twins. The first
 * signature of a kid is checked by public key recovery (pure JS, milliseconds); the key it proves
 * is remembered in `knownKeys`, and later signatures are verified by OpenSSL's secp256k1.
 */
export function signedByKid(parsed: ParsedMemberJwt, knownKeys: Map<Hex, KeyObject> = new Map()): boolean {
  const r = hexlify(parsed.signature.subarray(0, 32));
  const s = hexlify(parsed.signature.subarray(32, 64));
  if (BigInt(s) > HALF_ORDER || BigInt(s) === 0n || BigInt(r) === 0n) return false;
  const known = knownKeys.get(parsed.kid);
  if (known) {
    return verify('sha256', Buffer.from(parsed.signingInput, 'utf8'), { key: known, dsaEncoding: 'ieee-p1363' }, parsed.signature);
  }
  const digest = sha256(toUtf8Bytes(parsed.signingInput));
  for (const v of [27, 28]) {
    try {
      const publicKey = SigningKey.recoverPublicKey(digest, Signature.from({ r, s, v }));
      if (computeAddress(publicKey).toLowerCase() !== parsed.kid) continue;
      knownKeys.set(parsed.kid, keyObject(publicKey));
      return true;
    } catch {
      // this recovery id yields no point on the curve; try the other
    }
  }
  return false;
}

/** A secp256k1 public key (0x04 || x || y) as a Node KeyObject. */
function keyObject(uncompressed: string): KeyObject {
  const bytes = Buffer.from(uncompressed.slice(2), 'hex');
  return createPublicKey({
    key: { kty: 'EC', crv: 'secp256k1', x: bytes.subarray(1, 33).toString('base64url'), y: bytes.subarray(33, 65).toString('base64url') },
    format: 'jwk',
  });
}

function b64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

function decodeJson(part: string): Record<string, unknown> | null {
  try {
    const value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
