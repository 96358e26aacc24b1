// A small OpenID Connect provider on 127.0.0.1 for tests: discovery, JWKS, an authorize endpoint
// that signs in `user` at once and redirects back with a code, and a token endpoint that checks the
// code's PKCE S256 verifier and returns an ID token. It also signs arbitrary tokens, with its own
// key or a stranger's, so the node's checks can be exercised one at a time over real HTTP.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';

export interface SignOptions {
  alg?: 'RS256' | 'ES256' | 'EdDSA' | 'HS256';
  kid?: string;
  /** Default: the issuer's published key for `alg`. */
  key?: CryptoKey | Uint8Array;
  expiresInSeconds?: number;
  notBeforeSeconds?: number;
}

export interface TestIssuer {
  issuer: string;
  clientId: string;
  /** Who the authorize endpoint signs in. */
  user: JWTPayload;
  /** Every request the token endpoint answered with a token, as its form fields. */
  tokenRequests: Array<Record<string, string>>;
  sign(claims: JWTPayload, options?: SignOptions): Promise<string>;
  close(): Promise<void>;
}

interface PendingCode {
  clientId: string;
  redirectUri: string;
  challenge: string;
  nonce: string;
}

export async function startTestIssuer(clientId = 'careledger-console'): Promise<TestIssuer> {
  const rsa = await generateKeyPair('RS256', { extractable: true });
  const ec = await generateKeyPair('ES256', { extractable: true });
  const published: JWK[] = [
    { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
    { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
  ];
  const codes = new Map<string, PendingCode>();
  const server = createServer((request, response) => {
    handle(request, response).catch((error: Error) => send(response, 500, { error: 'server_error', error_description: error.message }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const issuer: TestIssuer = {
    issuer: base,
    clientId,
    user: { sub: 'staff-7f3a', name: 'Dana Reyes', groups: ['careledger-staff'] },
    tokenRequests: [],
    async sign(claims, options = {}) {
      const alg = options.alg ?? 'RS256';
      const key = options.key ?? (alg === 'ES256' ? ec.privateKey : rsa.privateKey);
      const kid = options.kid ?? (alg === 'ES256' ? 'ec-1' : 'rsa-1');
      const now = Math.floor(Date.now() / 1000);
      const jwt = new SignJWT({ iss: base, aud: clientId, ...claims })
        .setProtectedHeader({ alg, kid })
        .setIssuedAt(now)
        .setExpirationTime(now + (options.expiresInSeconds ?? 300));
      if (options.notBeforeSeconds !== undefined) jwt.setNotBefore(now + options.notBeforeSeconds);
      return jwt.sign(key);
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', base);
    // Browsers call the token endpoint cross-origin, as a public client: CORS, no credentials.
    response.setHeader('access-control-allow-origin', '*');
    response.setHeader('access-control-allow-headers', 'content-type');
    if (request.method === 'OPTIONS') return send(response, 204, null);
    if (url.pathname === '/.well-known/openid-configuration') {
      return send(response, 200, {
        issuer: base,
        authorization_endpoint: `${base}/authorize`,
        token_endpoint: `${base}/token`,
        jwks_uri: `${base}/jwks`,
        response_types_supported: ['code'],
        code_challenge_methods_supported: ['S256'],
        id_token_signing_alg_values_supported: ['RS256', 'ES256'],
      });
    }
    if (url.pathname === '/jwks') return send(response, 200, { keys: published });
    if (url.pathname === '/authorize') return authorize(url, response);
    if (url.pathname === '/token' && request.method === 'POST') return token(await formOf(request), response);
    send(response, 404, { error: 'not_found' });
  }

  function authorize(url: URL, response: ServerResponse): void {
    const q = Object.fromEntries(url.searchParams);
    if (q.response_type !== 'code' || q.client_id !== clientId || q.code_challenge_method !== 'S256' || !q.code_challenge || !q.state || !q.nonce || !q.redirect_uri) {
      return send(response, 400, { error: 'invalid_request', error_description: `authorize needs code + PKCE S256 + state + nonce for ${clientId}` });
    }
    const code = randomBytes(16).toString('base64url');
    codes.set(code, { clientId, redirectUri: q.redirect_uri, challenge: q.code_challenge, nonce: q.nonce });
    const back = new URL(q.redirect_uri);
    back.searchParams.set('code', code);
    back.searchParams.set('state', q.state);
    response.writeHead(302, { location: back.toString() }).end();
  }

  async function token(form: Record<string, string>, response: ServerResponse): Promise<void> {
    const pending = codes.get(form.code ?? '');
    codes.delete(form.code ?? '');
    if (form.grant_type !== 'authorization_code' || !pending) return send(response, 400, { error: 'invalid_grant', error_description: 'unknown or used code' });
    if (form.client_id !== pending.clientId || form.redirect_uri !== pending.redirectUri) return send(response, 400, { error: 'invalid_grant', error_description: 'client or redirect_uri differs from the authorize request' });
    const challenge = createHash('sha256').update(form.code_verifier ?? '').digest('base64url');
    if (challenge !== pending.challenge) return send(response, 400, { error: 'invalid_grant', error_description: 'PKCE verifier does not match the challenge' });
    issuer.tokenRequests.push(form);
    const idToken = await issuer.sign({ ...issuer.user, nonce: pending.nonce });
    send(response, 200, { token_type: 'Bearer', id_token: idToken, access_token: randomBytes(16).toString('base64url'), expires_in: 300 });
  }

  return issuer;
}

async function formOf(request: IncomingMessage): Promise<Record<string, string>> {
  let text = '';
  for await (const chunk of request) text += chunk;
  return Object.fromEntries(new URLSearchParams(text));
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, body === null ? {} : { 'content-type': 'application/json' }).end(body === null ? undefined : JSON.stringify(body));
}
