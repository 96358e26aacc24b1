// The frame around every view: the node's name, who is signed in, the navigation (hash routes, so
// any view can be bookmarked and reloaded) and the sign-in page when there is no session.
import { useEffect, useState } from 'preact/hooks';
import type { ConsoleConfig } from './console-config.js';
import { CONSOLE_VIEWS } from './console-views.js';
import { nodeJson } from './node-api.js';
import { type ConsoleSession, loadSession, saveSession } from './session.js';
import { SignIn, devSession } from './sign-in.js';

const DEV_RENEW_BEFORE_MS = 30_000;

function currentPath(): string {
  return location.hash.replace(/^#\/?/, '') || CONSOLE_VIEWS[0]!.path;
}

export function ConsoleShell() {
  const [config, setConfig] = useState<ConsoleConfig | null>(null);
  const [configError, setConfigError] = useState<string | null>(null);
  const [session, setSession] = useState<ConsoleSession | null>(() => loadSession());
  const [path, setPath] = useState(currentPath);

  useEffect(() => {
    nodeJson<ConsoleConfig>('/console/api/config', 'its console settings')
      .then(({ body }) => setConfig(body))
      .catch((error: Error) => setConfigError(error.message));
    const onHash = () => setPath(currentPath());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);

  useEffect(() => {
    if (!session) return;
    // A dev session is renewed half a minute before its token expires; any other session ends
    // when its token does: the node would refuse it anyway, and a clear page beats a wall of errors.
    const renew = session.kind === 'dev';
    const timer = setTimeout(
      () => (renew ? devSession().then(signedIn, () => signedIn(null)) : signedIn(null)),
      Math.max(0, session.expiresAt - Date.now() - (renew ? DEV_RENEW_BEFORE_MS : 0)),
    );
    return () => clearTimeout(timer);
  }, [session]);

  const signedIn = (next: ConsoleSession | null) => {
    saveSession(next);
    setSession(next);
  };

  const view = CONSOLE_VIEWS.find((v) => v.path === path) ?? CONSOLE_VIEWS[0]!;
  useEffect(() => {
    document.title = `${view.title} · careledger console`;
  }, [view]);

  return (
    <div class="shell">
      <a class="skip" href="#main">Skip to content</a>
      <header class="top">
        <div class="brand">
          <span class="logo" aria-hidden="true">◆</span> careledger console
          {config && <span class="org">{config.orgId}</span>}
          {config?.dev && <span class="badge warn">dev mode: not for real patient data</span>}
        </div>
        {session && (
          <div class="who">
            <span>Signed in as {session.label}</span>
            <button type="button" class="link" onClick={() => signedIn(null)}>
              Sign out
            </button>
          </div>
        )}
      </header>
      {session && (
        <nav aria-label="Views" class="views">
          <ul>
            {CONSOLE_VIEWS.map((v) => (
              <li key={v.path}>
                <a href={`#/${v.path}`} aria-current={v.path === view.path ? 'page' : undefined}>
                  {v.title}
                </a>
              </li>
            ))}
          </ul>
        </nav>
      )}
      <main id="main" tabIndex={-1}>
        {configError && (
          <p role="alert" class="error">
            {configError}
          </p>
        )}
        {config && !session && <SignIn config={config} onSignedIn={signedIn} />}
        {config && session && (
          <section aria-labelledby="view-title">
            <h1 id="view-title">{view.title}</h1>
            <p class="audience">{view.audience}</p>
            <view.component config={config} session={session} />
          </section>
        )}
      </main>
    </div>
  );
}
