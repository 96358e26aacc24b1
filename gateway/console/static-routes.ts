// Serves the built console at /console: the page with no-cache (it names the current assets), the
// hashed assets as immutable, and a CSP that allows only this origin's scripts and styles plus the
// chain RPC the in-browser verifier reads. Files are held in memory (the bundle is small) and read
// again when the page on disk changes.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

export interface StaticRoutesOptions {
  distDir: string;
  /** Origins the page may call besides its own (the chain RPC for verification). */
  connectOrigins: string[];
}

export function consoleCsp(connectOrigins: string[]): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self' ${connectOrigins.join(' ')}`.trim(),
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

interface Asset {
  body: Buffer;
  type: string;
}

interface Loaded {
  /** index.html's mtime when read: a rebuild (npm start builds a stale bundle beside a running node) replaces it. */
  stamp: number;
  index: Buffer;
  assets: Map<string, Asset>;
}

function load(distDir: string, current: Loaded | null): Loaded | null {
  try {
    return read(distDir, current);
  } catch {
    // A build is being renamed into place this instant: keep what was served until now.
    return current;
  }
}

function read(distDir: string, current: Loaded | null): Loaded | null {
  const indexPath = join(distDir, 'index.html');
  if (!existsSync(indexPath)) return null;
  const stamp = statSync(indexPath).mtimeMs;
  if (current?.stamp === stamp) return current;
  const assets = new Map<string, Asset>();
  const assetDir = join(distDir, 'assets');
  if (existsSync(assetDir)) {
    for (const name of readdirSync(assetDir)) {
      assets.set(name, { body: readFileSync(join(assetDir, name)), type: TYPES[extname(name)] ?? 'application/octet-stream' });
    }
  }
  return { stamp, index: readFileSync(indexPath), assets };
}

// No script is allowed inline, so the page refreshes itself with a meta tag while the bundle builds.
const MISSING_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5"><title>careledger console is being built</title></head>
<body><main><h1>The console is not built yet</h1><p><code>npm start</code> builds it in the background; this page reloads every 5 seconds. Started the node another way? Run <code>npm run build:console</code>.</p></main></body></html>`;

export async function consoleStaticRoutes(app: FastifyInstance, options: StaticRoutesOptions): Promise<void> {
  let loaded: Loaded | null = null;
  const csp = consoleCsp(options.connectOrigins);

  const page = (reply: FastifyReply) => {
    reply.header('content-security-policy', csp).header('cache-control', 'no-cache').header('referrer-policy', 'no-referrer');
    loaded = load(options.distDir, loaded);
    if (!loaded) return reply.code(503).type('text/html; charset=utf-8').send(MISSING_PAGE);
    return reply.type('text/html; charset=utf-8').send(loaded.index);
  };
  app.get('/console', async (_request, reply) => reply.redirect('/console/', 302));
  app.get('/console/', async (_request, reply) => page(reply));
  app.get<{ Params: { name: string } }>('/console/assets/:name', async (request, reply) => {
    loaded ??= load(options.distDir, null);
    const asset = loaded?.assets.get(request.params.name);
    if (!asset) return reply.code(404).type('text/plain; charset=utf-8').send('No such console asset: reload /console/ to get the current ones.');
    return reply.header('cache-control', 'public, max-age=31536000, immutable').header('content-security-policy', csp).type(asset.type).send(asset.body);
  });
}
