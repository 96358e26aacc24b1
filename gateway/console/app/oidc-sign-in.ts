// Sign-in through the hospital's OpenID Connect provider, in the browser: authorization code with
// PKCE (S256), a fresh state against a forged redirect and a fresh nonce against a replayed ID
// token. The console is a public client (no secret can hide in a page), so the code is useless
// without the verifier that only this tab holds. The node checks the ID token's signature against
// the provider's keys; the page checks what only it can: that this answer belongs to its request.

export interface OidcProvider {
  issuer: string;
  clientId: string;
  scopes: string;
}

export interface OidcSignedIn {
  idToken: string;
  /** Epoch ms, from the token's `exp`. */
  expiresAt: number;
  /** The user's name as the provider gives it, for the header. */
  name: string;
}

interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  code_challenge_methods_supported?: string[];
}

interface PendingSignIn {
  state: string;
  nonce: string;
  verifier: string;
  tokenEndpoint: string;
  redirectUri: string;
}

const PENDING_KEY = 'careledger.console.oidc-pending';

/** Where the provider sends the user back; the console's client registration must list it. */
export function redirectUri(): string {
  return `${location.origin}/console/`;
}

/** Leaves the page for the provider's sign-in; resolves only if that fails to start. */
export async function startOidcSignIn(provider: OidcProvider): Promise<void> {
  const discovery = await discover(provider.issuer);
  const methods = discovery.code_challenge_methods_supported;
  if (methods && !methods.includes('S256')) {
    throw new Error("The hospital's sign-in provider does not offer PKCE with S256, which the console requires: ask IT to enable it for the console client.");
  }
  const pending: PendingSignIn = {
    state: randomText(),
    nonce: randomText(),
    verifier: randomText(),
    tokenEndpoint: discovery.token_endpoint,
    redirectUri: redirectUri(),
  };
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  const url = new URL(discovery.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: provider.clientId,
    redirect_uri: pending.redirectUri,
    scope: provider.scopes,
    state: pending.state,
    nonce: pending.nonce,
    code_challenge: await s256(pending.verifier),
    code_challenge_method: 'S256',
  }).toString();
  location.assign(url.toString());
}

/** True when this page load is the provider's redirect back (a code or an error in the query). */
export function isOidcReturn(): boolean {
  const query = new URLSearchParams(location.search);
  return query.has('state') && (query.has('code') || query.has('error'));
}

/** Redeems the code of the redirect back; throws a sentence saying what to do when anything is off. */
export async function finishOidcSignIn(provider: OidcProvider): Promise<OidcSignedIn> {
  const query = new URLSearchParams(location.search);
  // The code is single-use and the state is spent: neither stays in the address bar or history.
  history.replaceState(null, '', `${location.pathname}${location.hash}`);
  const raw = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  const pending = raw ? (JSON.parse(raw) as PendingSignIn) : null;
  if (!pending || query.get('state') !== pending.state) {
    throw new Error('This sign-in answer does not belong to a sign-in started in this tab: click Sign in with your hospital account again.');
  }
  const error = query.get('error');
  if (error) {
    const said = query.get('error_description');
    throw new Error(`The hospital's sign-in provider refused the sign-in (${error}${said ? `: ${said}` : ''}): try again, or ask IT whether your account may use the console.`);
  }
  const idToken = await redeem(pending, provider.clientId, query.get('code') ?? '');
  const claims = payloadOf(idToken);
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (claims.iss !== provider.issuer || !audiences.includes(provider.clientId) || claims.nonce !== pending.nonce) {
    throw new Error("The ID token the provider returned is not for this sign-in (issuer, audience or nonce differ): sign in again, and tell IT if it persists.");
  }
  if (typeof claims.exp !== 'number' || claims.exp * 1000 <= Date.now()) {
    throw new Error("The ID token the provider returned has already expired: check this computer's clock and sign in again.");
  }
  const name = [claims.name, claims.preferred_username, claims.email, claims.sub].find((v): v is string => typeof v === 'string' && v !== '') ?? 'hospital user';
  return { idToken, expiresAt: claims.exp * 1000, name };
}

async function discover(issuer: string): Promise<Discovery> {
  const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  let doc: Partial<Discovery>;
  try {
    const response = await fetch(url, { headers: { accept: 'application/json' } });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    doc = (await response.json()) as Partial<Discovery>;
  } catch (error) {
    throw new Error(`The console could not reach the hospital's sign-in provider at ${url} (${(error as Error).message}): check the network, or ask IT to check CONSOLE_OIDC_ISSUER.`);
  }
  if (doc.issuer !== issuer || typeof doc.authorization_endpoint !== 'string' || typeof doc.token_endpoint !== 'string') {
    throw new Error(`The sign-in provider's discovery document at ${url} does not describe the issuer ${issuer}: ask IT to check CONSOLE_OIDC_ISSUER.`);
  }
  return doc as Discovery;
}

async function redeem(pending: PendingSignIn, clientId: string, code: string): Promise<string> {
  let body: { id_token?: string; error?: string; error_description?: string };
  try {
    const response = await fetch(pending.tokenEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: pending.redirectUri, client_id: clientId, code_verifier: pending.verifier }),
    });
    body = (await response.json()) as typeof body;
  } catch (error) {
    throw new Error(`The console could not redeem the sign-in at the provider (${(error as Error).message}): sign in again.`);
  }
  if (!body.id_token) {
    const said = body.error ? ` (${body.error}${body.error_description ? `: ${body.error_description}` : ''})` : '';
    throw new Error(`The sign-in provider returned no ID token${said}: sign in again, and ask IT to check the console client if it persists.`);
  }
  return body.id_token;
}

function payloadOf(jwt: string): Record<string, unknown> {
  try {
    const part = jwt.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/');
    const bytes = Uint8Array.from(atob(part), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
  } catch {
    throw new Error('The sign-in provider returned an ID token the console cannot read: sign in again.');
  }
}

/** 32 random bytes, base64url: an unguessable state, nonce or PKCE verifier (43 characters). */
function randomText(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

async function s256(text: string): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))));
}

function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
