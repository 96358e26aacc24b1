// Authenticates a consortium member's request: an ES256K member JWT whose signer the
// ConsortiumRegistry lists for an active member, whose issuer is that member, addressed to this
// node, short-lived and never seen before. Failures are 401s with an RFC 6750 challenge.

import { unauthorized } from '@medplum/core';
import type { KeyObject } from 'node:crypto';
import { BearerAuthError, bearerChallenge } from '../auth/fhir-access.js';
import { memberIdOf } from '../crypto/digest.js';
import type { Hex } from '../ledger/ports.js';
import type { MemberJtiTable } from './consent-tables.js';
import type { MemberDirectory } from './member-directory.js';
import { MEMBER_JWT_MAX_LIFETIME_SECONDS, parseMemberJwt, signedByKid } from './member-jwt.js';
import { isPurposeCode, type PurposeCode } from './purpose-of-use.js';
import { practitionerHash } from './typed-data.js';

export interface MemberPrincipal {
  kind: 'member';
  memberId: Hex;
  orgId: string;
  roles: number;
  signer: Hex;
  practitionerId: string;
  /** practitionerHash(memberId, practitionerId): how grants name this practitioner. */
  practitionerHash: Hex;
  purpose: PurposeCode;
  /** Set (possibly blank, which is refused later) when the request claims break-glass. */
  breakGlassReason?: string;
  jti: string;
}

export interface MemberAuthenticatorOptions {
  /** The member JWT ids seen while their tokens are valid. */
  jtis: MemberJtiTable;
  directory: MemberDirectory;
  /** Values `aud` may take: this node's public URL and FHIR base. */
  audiences: readonly string[];
  now?: () => number;
}

const BEARER = /^Bearer +(\S+) *$/i;
const CLOCK_SKEW_SECONDS = 30;

export class MemberAuthenticator {
  private readonly audiences: Set<string>;
  /** Public keys proven by recovery for each signer address: later checks are native verifies. */
  private readonly signerKeys = new Map<Hex, KeyObject>();
  private readonly now: () => number;
  private lastPurge = 0;

  constructor(private readonly options: MemberAuthenticatorOptions) {
    this.audiences = new Set(options.audiences.map((a) => a.replace(/\/+$/, '')));
    this.now = options.now ?? Date.now;
  }

  async authenticate(authorization: string | undefined): Promise<MemberPrincipal> {
    const token = BEARER.exec(authorization ?? '')?.[1];
    const parsed = token ? parseMemberJwt(token) : null;
    if (!parsed) throw invalid('The member JWT is malformed: expected a compact ES256K JWS with an address kid');
    if (!signedByKid(parsed, this.signerKeys)) throw invalid('The member JWT signature does not match its kid');

    const c = parsed.claims;
    const nowSeconds = Math.floor(this.now() / 1000);
    if (typeof c.exp !== 'number' || !Number.isFinite(c.exp)) throw invalid('The member JWT has no exp');
    if (c.exp <= nowSeconds - CLOCK_SKEW_SECONDS) throw invalid('The member JWT has expired');
    const issuedAt = typeof c.iat === 'number' ? c.iat : nowSeconds;
    if (c.exp - Math.min(issuedAt, nowSeconds) > MEMBER_JWT_MAX_LIFETIME_SECONDS + CLOCK_SKEW_SECONDS) {
      throw invalid(`A member JWT may live at most ${MEMBER_JWT_MAX_LIFETIME_SECONDS} s`);
    }
    const audiences = Array.isArray(c.aud) ? c.aud : [c.aud];
    if (!audiences.some((aud) => typeof aud === 'string' && this.audiences.has(aud.replace(/\/+$/, '')))) {
      throw invalid(`The member JWT is not addressed to this node (aud must be one of ${[...this.audiences].join(', ')})`);
    }
    if (typeof c.sub !== 'string' || c.sub.length === 0 || c.sub.length > 128) throw invalid('sub must name the practitioner (1-128 characters)');
    if (typeof c.jti !== 'string' || c.jti.length < 8 || c.jti.length > 256) throw invalid('jti must be a unique id of 8-256 characters');
    if (!isPurposeCode(c.purpose)) throw invalid('purpose must be a PurposeOfUse code: TREAT, ETREAT, HPAYMT or HRESCH');
    if (c.break_glass_reason !== undefined && typeof c.break_glass_reason !== 'string') throw invalid('break_glass_reason must be a string');
    if (typeof c.iss !== 'string') throw invalid('iss must name the calling member');

    const member = await this.options.directory.memberOf(parsed.kid);
    if (!member) throw invalid(`${parsed.kid} is not a signer of an active consortium member`);
    if (c.iss.toLowerCase() !== member.memberId && memberIdOf(c.iss) !== member.memberId) {
      throw invalid(`The signer ${parsed.kid} does not act for issuer ${c.iss.slice(0, 80)}`);
    }
    await this.forgetExpired(nowSeconds);
    if (!(await this.options.jtis.claim(member.memberId, c.jti, c.exp + CLOCK_SKEW_SECONDS))) {
      throw invalid('The member JWT was already used (jti replay); mint one per request');
    }
    return {
      kind: 'member',
      memberId: member.memberId,
      orgId: member.orgId,
      roles: member.roles,
      signer: parsed.kid,
      practitionerId: c.sub,
      practitionerHash: practitionerHash(member.memberId, c.sub),
      purpose: c.purpose,
      breakGlassReason: c.break_glass_reason,
      jti: c.jti,
    };
  }

  private async forgetExpired(nowSeconds: number): Promise<void> {
    if (nowSeconds - this.lastPurge < 60) return;
    this.lastPurge = nowSeconds;
    await this.options.jtis.removeExpired(nowSeconds);
  }
}

function invalid(description: string): BearerAuthError {
  return new BearerAuthError(
    { ...unauthorized, issue: (unauthorized.issue ?? []).map((issue) => ({ ...issue, diagnostics: description })) },
    bearerChallenge({ error: 'invalid_token', description }),
  );
}
