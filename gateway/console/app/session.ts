// The console's one credential: the bearer token it signed in with, kept for this tab only
// (sessionStorage), sent on every API call, never upgraded. What the node lets the token do is
// all the console can do.

export interface ConsoleSession {
  accessToken: string;
  /** Epoch ms; the console signs out when it passes. */
  expiresAt: number;
  /** Who the token is for, as the sign-in said: shown in the header. */
  label: string;
  /** How it was obtained: a dev session is renewed before it expires; a pasted token and a hospital
   * (OpenID Connect) sign-in end when their token does. */
  kind: 'dev' | 'token' | 'oidc';
}

const KEY = 'careledger.console.session';

export function loadSession(now = Date.now()): ConsoleSession | null {
  const raw = sessionStorage.getItem(KEY);
  if (!raw) return null;
  try {
    const session = JSON.parse(raw) as ConsoleSession;
    return session.expiresAt > now ? session : null;
  } catch {
    return null;
  }
}

export function saveSession(session: ConsoleSession | null): void {
  if (session) sessionStorage.setItem(KEY, JSON.stringify(session));
  else sessionStorage.removeItem(KEY);
}
