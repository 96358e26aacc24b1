// The console's sign-in support. /console/api/config says what the page needs before sign-in (no
// secret in it). /console/api/dev-session hands a dev-mode page on this machine a fresh token of the
// dev client, the dev staff user: only in dev mode, only to a loopback peer, and only to a script
// of this origin (the custom header forces a CORS preflight that other origins fail).
// /console/api/whoami says whom a pasted or provider-issued token belongs to, and what it may do.
import type { FastifyInstance } from 'fastify';
import type { AuthStores } from '../auth/ports.js';
import { DEV_CLIENT_ID, ensureDevClient } from '../auth/dev-client.js';
import { requireSignedIn } from '../server/operations-routes.js';

export const CONSOLE_HEADER = 'x-careledger-console';

export interface ConsoleConfigBody {
  orgId: string;
  dev: boolean;
  fhirBase: string;
  chain: { kind: string; chainId: number; rpcUrl: string | null; explorerTxUrl: string | null };
  signIn: {
    dev: boolean;
    /** The hospital's OpenID Connect provider (CONSOLE_OIDC_*), public values only; null: not offered. */
    oidc: { issuer: string; clientId: string; scopes: string } | null;
  };
}

export interface SessionRoutesOptions {
  config: ConsoleConfigBody;
  /** Set in dev mode only. */
  dev: { auth: AuthStores; dataDir: string; publicUrl: string } | null;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

export async function consoleSessionRoutes(app: FastifyInstance, options: SessionRoutesOptions): Promise<void> {
  app.get('/console/api/config', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    return options.config;
  });

  app.post('/console/api/dev-session', async (request, reply) => {
    reply.header('cache-control', 'no-store');
    if (!options.dev) return reply.code(404).send({ error: 'not_found', message: 'Dev sign-in exists only in dev mode: sign in with a token your hospital issued.' });
    if (!LOOPBACK.has(request.socket.remoteAddress ?? '')) {
      return reply.code(403).send({ error: 'forbidden', message: 'Dev sign-in is served only to this machine (loopback): open the console on the machine running the node.' });
    }
    if (request.headers[CONSOLE_HEADER] !== '1') {
      return reply.code(403).send({ error: 'forbidden', message: `Dev sign-in is for the console page: send the ${CONSOLE_HEADER} header.` });
    }
    const client = await ensureDevClient(options.dev.auth, options.dev.dataDir, { publicBaseUrl: options.dev.publicUrl });
    return { accessToken: client.accessToken, expiresAt: client.expiresAt, label: `dev staff (${DEV_CLIENT_ID})` };
  });

  app.get('/console/api/whoami', async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const { principal, problem } = request.server.smartAuth.authenticate(request);
    // The token's own problem (expired, no mapped role...) is the sentence the sign-in page shows.
    if (problem) return reply.code(401).header('www-authenticate', 'Bearer realm="careledger", error="invalid_token"').send({ error: 'invalid_token', message: problem.description });
    if (!requireSignedIn(request, reply) || !principal) return reply;
    return { clientId: principal.clientId, scopes: principal.scopes };
  });
}
