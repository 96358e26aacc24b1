// What the node's HTTP layer writes to its log: no PHI at any level. A search URL carries
// identifiers and names in its query (`?identifier=urn:ssn|123-45-6789`), a path carries patient
// and resource ids, and error messages quote the input they refuse. So fastify's own per-request
// lines are replaced by one line per request, at debug, with the method, the route pattern (not
// the path), the status, the time and the client id; and errors logged from a request keep their
// type, code and stack frames but not their message. Errors logged outside a request (chain,
// adapters) keep their message: it comes from the node's own peers, not from a client's input.

import { LogController, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import type { Bindings, ChildLoggerOptions } from 'pino';

interface LoggedError {
  type: string;
  code?: unknown;
  statusCode?: unknown;
  stack?: string;
}

/** An error without its message: the name, codes and the frames where it was thrown. */
export function redactError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const shown: LoggedError = { type: error.constructor?.name ?? error.name };
  const { code, statusCode } = error as { code?: unknown; statusCode?: unknown };
  if (code !== undefined) shown.code = code;
  if (statusCode !== undefined) shown.statusCode = statusCode;
  const frames = (error.stack ?? '').split('\n').filter((line) => line.trimStart().startsWith('at '));
  if (frames.length > 0) shown.stack = frames.join('\n');
  return shown;
}

function requestLine(request: FastifyRequest, reply: FastifyReply): Record<string, unknown> {
  // `principal` is decorated by the auth plugin; an app without it logs no client.
  const principal = (request as { principal?: { clientId: string } | null }).principal;
  return {
    method: request.method,
    route: request.routeOptions.url ?? null,
    statusCode: reply.statusCode,
    responseTime: Math.round(reply.elapsedTime * 10) / 10,
    ...(principal ? { clientId: principal.clientId } : {}),
  };
}

const DETAILED_LEVELS = new Set(['debug', 'trace']);

class RedactingLogController extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) reply.log.error({ ...requestLine(request, reply), err: error }, 'request errored');
    else if (DETAILED_LEVELS.has(reply.log.level)) reply.log.debug(requestLine(request, reply), 'request completed');
  }

  override defaultErrorLog(error: Error, request: FastifyRequest, reply: FastifyReply): void {
    if (reply.statusCode >= 500) reply.log.error({ ...requestLine(request, reply), err: error }, 'request failed');
    else reply.log.debug({ ...requestLine(request, reply), err: error }, 'request refused');
  }

  override routeNotFound(request: FastifyRequest): void {
    request.log.debug({ method: request.method }, 'no route');
  }

  override writeHeadError(error: Error, request: FastifyRequest, reply: FastifyReply): void {
    reply.log.warn({ ...requestLine(request, reply), err: error }, 'writing the response head failed');
  }
}

type LoggingOptions = Pick<FastifyServerOptions, 'logger' | 'logController' | 'childLoggerFactory'>;

/** The fastify options that make `logger` log requests without PHI (spread into fastify()). */
export function redactedLogging(logger: FastifyServerOptions['logger']): LoggingOptions {
  return {
    logger,
    logController: new RedactingLogController(),
    // Only the per-request loggers: they are the ones that see a client's input.
    childLoggerFactory(parent, bindings: Bindings, options: ChildLoggerOptions) {
      return parent.child(bindings, { ...options, serializers: { ...options.serializers, err: redactError } });
    },
  };
}
