// What every route of the node shares to stay up under a hostile or runaway client: security
// headers (helmet), rate limits, a bound on open connections per address, and the JSON depth
// check on every JSON body, FHIR media types included, for routes registered outside the FHIR
// bases (consent, cohort, Subscriptions notifications).
// Limits and what a client gets past each are in docs/security.md, "Request limits".

import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { RequestLimits } from '../config.js';
import { boundedJsonParser, JSON_MEDIA_TYPES } from '../fhir/bounded-json-parser.js';

// Probes and scrapers must see a node that is throttling clients.
const UNLIMITED_PATHS = new Set(['/health', '/metrics']);

function rateKey(request: FastifyRequest): string {
  // The principal is verified here (one hash and one indexed read, remembered for the request):
  // an invalid or absent token counts against the address, never against a client it names.
  const principal = request.principal;
  return principal ? `client:${principal.clientId}` : `ip:${request.ip}`;
}

function limitConnectionsPerAddress(app: FastifyInstance, max: number): void {
  const open = new Map<string, number>();
  app.server.on('connection', (socket) => {
    const address = socket.remoteAddress ?? '';
    const count = (open.get(address) ?? 0) + 1;
    // Refused before a byte is read: an answer would mean parsing the request it came with.
    if (count > max) {
      socket.destroy();
      return;
    }
    open.set(address, count);
    socket.once('close', () => {
      const left = open.get(address)! - 1;
      if (left === 0) open.delete(address);
      else open.set(address, left);
    });
  });
}

async function requestGuards(app: FastifyInstance, limits: RequestLimits): Promise<void> {
  const parseJson = boundedJsonParser(app, limits.maxJsonDepth);
  for (const type of JSON_MEDIA_TYPES) {
    if (app.hasContentTypeParser(type)) app.removeContentTypeParser(type);
    app.addContentTypeParser(type, { parseAs: 'string' }, parseJson);
  }

  // No upgrade-insecure-requests: a node on plain HTTP inside the hospital network (or on loopback
  // in dev) would send a browser after https:// sub-resources it does not serve.
  await app.register(helmet, { global: true, contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } });
  const { perClient, perIp, windowMs } = limits.rateLimit;
  await app.register(rateLimit, {
    global: true,
    timeWindow: windowMs,
    keyGenerator: rateKey,
    max: (_request, key) => (key.startsWith('client:') ? perClient : perIp),
    allowList: (request) => UNLIMITED_PATHS.has(request.url.split('?', 1)[0]!),
    // Thrown, so each route's error handler answers in its own format (OperationOutcome on FHIR routes).
    errorResponseBuilder: (request, context) =>
      Object.assign(
        new Error(
          `Rate limit exceeded: ${context.max} requests per ${windowMs / 1000} s for this ${rateKey(request).startsWith('client:') ? 'client' : 'address'}; retry after ${context.after}`,
        ),
        { statusCode: 429 },
      ),
  });
  limitConnectionsPerAddress(app, limits.http.maxConnectionsPerIp);
}

export const requestGuardsPlugin = fp(requestGuards, { name: 'careledger-request-guards', fastify: '5.x', dependencies: ['careledger-auth'] });
