// Sign-in: through the hospital's OpenID Connect provider when the node names one (code + PKCE,
// oidc-sign-in.ts), one click as the dev staff user in dev mode (the node hands a short-lived token
// to a page on loopback only), or an access token the hospital issued (e.g. `careledger token`).
// The console keeps only that token and can do only what the node lets it do.
import { useEffect, useState } from 'preact/hooks';
import type { ConsoleConfig } from './console-config.js';
import { nodeJson } from './node-api.js';
import { finishOidcSignIn, isOidcReturn, startOidcSignIn } from './oidc-sign-in.js';
import type { ConsoleSession } from './session.js';

const PASTED_TOKEN_SESSION_MS = 3_600_000;

interface DevSession {
  accessToken: string;
  expiresAt: string;
  label: string;
}

/** A fresh dev staff token (dev mode, this machine only); also how the shell renews one. */
export async function devSession(): Promise<ConsoleSession> {
  const { body } = await nodeJson<DevSession>('/console/api/dev-session', 'a dev sign-in', { method: 'POST' });
  return { accessToken: body.accessToken, expiresAt: Date.parse(body.expiresAt), label: body.label, kind: 'dev' };
}

export function SignIn({ config, onSignedIn }: { config: ConsoleConfig; onSignedIn: (session: ConsoleSession) => void }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [token, setToken] = useState('');
  const oidc = config.signIn.oidc;
  const [returning] = useState(() => oidc !== null && isOidcReturn());

  useEffect(() => {
    if (!oidc || !returning) return;
    setBusy(true);
    finishOidcSignIn(oidc)
      // The node decides what the token is worth: a token without a role it maps stops here.
      .then(async (signed) => {
        await nodeJson<{ clientId: string }>('/console/api/whoami', 'your hospital account', { token: signed.idToken });
        onSignedIn({ accessToken: signed.idToken, expiresAt: signed.expiresAt, label: signed.name, kind: 'oidc' });
      })
      .catch((e: Error) => setError(e.message))
      .finally(() => setBusy(false));
  }, []);

  const oidcSignIn = async () => {
    setBusy(true);
    setError(null);
    try {
      await startOidcSignIn(oidc!);
    } catch (e) {
      setError((e as Error).message);
      setBusy(false);
    }
  };

  const devSignIn = async () => {
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await devSession());
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const tokenSignIn = async (event: Event) => {
    event.preventDefault();
    setError(null);
    const value = token.trim();
    if (!value) {
      setError('Paste an access token first: the hospital issues it (for example `npx careledger token`).');
      return;
    }
    setBusy(true);
    try {
      const { body } = await nodeJson<{ clientId: string }>('/console/api/whoami', 'your token', { token: value });
      // The node's tokens live minutes; the console signs out at the first refusal or after an hour.
      onSignedIn({ accessToken: value, expiresAt: Date.now() + PASTED_TOKEN_SESSION_MS, label: body.clientId, kind: 'token' });
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="sign-in" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Sign in to {config.orgId}</h1>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {oidc && (
        <div class="card">
          <h2>Hospital account</h2>
          <p>
            Sign in with the account you use at {new URL(oidc.issuer).host}. The console gets only what your role there allows
            {returning && busy ? ': finishing your sign-in…' : '.'}
          </p>
          <button type="button" class="primary" onClick={oidcSignIn} disabled={busy}>
            Sign in with your hospital account
          </button>
        </div>
      )}
      {config.signIn.dev && (
        <div class="card">
          <h2>Dev mode</h2>
          <p>This node runs in dev mode, on this machine only. Sign in as its dev staff user with one click.</p>
          <button type="button" class="primary" onClick={devSignIn} disabled={busy}>
            Sign in as dev staff
          </button>
        </div>
      )}
      <form class="card" onSubmit={tokenSignIn}>
        <h2>Access token</h2>
        <p>Paste an access token the hospital issued for you. The console can do only what this token allows.</p>
        <label for="token">Access token</label>
        <input id="token" type="password" autoComplete="off" value={token} onInput={(e) => setToken((e.target as HTMLInputElement).value)} />
        <button type="submit" disabled={busy}>
          Sign in with this token
        </button>
      </form>
    </section>
  );
}
