// The test EHR's SMART Backend Services token endpoint: one registered client with an ES384 key,
// whose signed assertion is checked with jose (signature, iss = sub = client_id, aud = this
// endpoint, exp, single-use jti) before a short-lived opaque bearer token is issued. What the
// clients under test do against it is the real flow.

import { randomBytes, randomUUID } from 'node:crypto';
import { generateKeyPair, jwtVerify, type CryptoKey } from 'jose';

export interface RegisteredClient {
  clientId: string;
  kid: string;
  alg: 'ES384';
  privateKey: CryptoKey;
}

export class EhrTokenEndpoint {
  readonly tokensIssued: string[] = [];
  private readonly tokens = new Map<string, number>();
  private readonly usedJtis = new Set<string>();

  private constructor(
    readonly client: RegisteredClient,
    private readonly publicKey: CryptoKey,
    private readonly tokenLifetimeSeconds: number,
  ) {}

  static async create(tokenLifetimeSeconds = 300): Promise<EhrTokenEndpoint> {
    const { privateKey, publicKey } = await generateKeyPair('ES384', { extractable: true });
    const client: RegisteredClient = { clientId: `client-${randomUUID()}`, kid: 'ehr-test-key', alg: 'ES384', privateKey };
    return new EhrTokenEndpoint(client, publicKey, tokenLifetimeSeconds);
  }

  /** Answers a token request (form body); `tokenUrl` is the audience the assertion must name. */
  async exchange(form: URLSearchParams, tokenUrl: string): Promise<{ status: number; body: Record<string, unknown> }> {
    if (form.get('grant_type') !== 'client_credentials') return oauthError(400, 'unsupported_grant_type');
    if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') {
      return oauthError(400, 'invalid_request', 'client_assertion_type must be jwt-bearer');
    }
    const assertion = form.get('client_assertion');
    if (!assertion) return oauthError(400, 'invalid_request', 'client_assertion is missing');
    try {
      const { payload, protectedHeader } = await jwtVerify(assertion, this.publicKey, {
        issuer: this.client.clientId,
        subject: this.client.clientId,
        audience: tokenUrl,
        algorithms: [this.client.alg],
        requiredClaims: ['exp', 'jti'],
      });
      if (protectedHeader.kid !== this.client.kid) return oauthError(401, 'invalid_client', 'unknown kid');
      if (this.usedJtis.has(payload.jti!)) return oauthError(401, 'invalid_client', 'assertion replayed');
      this.usedJtis.add(payload.jti!);
    } catch (error) {
      return oauthError(401, 'invalid_client', (error as Error).message);
    }
    const token = randomBytes(24).toString('base64url');
    this.tokens.set(token, Date.now() + this.tokenLifetimeSeconds * 1000);
    this.tokensIssued.push(token);
    return {
      status: 200,
      body: { access_token: token, token_type: 'bearer', expires_in: this.tokenLifetimeSeconds, scope: form.get('scope') ?? '' },
    };
  }

  isValid(authorization: string | undefined): boolean {
    const token = /^Bearer (\S+)$/i.exec(authorization ?? '')?.[1];
    const expiresAt = token ? this.tokens.get(token) : undefined;
    return expiresAt !== undefined && expiresAt > Date.now();
  }

  /** Expires every issued token now (tests of the 401 -> new token path). */
  revokeAll(): void {
    this.tokens.clear();
  }
}

function oauthError(status: number, error: string, description?: string): { status: number; body: Record<string, unknown> } {
  return { status, body: { error, ...(description ? { error_description: description } : {}) } };
}
