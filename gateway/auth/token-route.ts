// POST /auth/token: the OAuth token endpoint. Its own encapsulated context, because it speaks
// OAuth, not FHIR: form-encoded requests only, and every error is an RFC 6749 JSON body.

import type { FastifyError, FastifyInstance } from 'fastify';
import { OAuthError } from './oauth-error.js';
import { TOKEN_PATH, type SmartAuthService } from './smart-auth-service.js';
import type { TokenRequestParams } from './token-exchange.js';

export interface TokenRouteOptions {
  service: SmartAuthService;
}

const FORM = 'application/x-www-form-urlencoded';
const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

const oauthErrorSchema = {
  type: 'object',
  required: ['error'],
  properties: { error: { type: 'string' }, error_description: { type: 'string' } },
} as const;

const tokenRequestSchema = {
  type: 'object',
  // Presence and values are checked in code so each failure gets its RFC 6749 error code.
  properties: {
    grant_type: { type: 'string' },
    client_assertion_type: { type: 'string' },
    client_assertion: { type: 'string' },
    scope: { type: 'string' },
    client_id: { type: 'string' },
  },
} as const;

const tokenResponseSchema = {
  type: 'object',
  required: ['access_token', 'token_type', 'expires_in', 'scope'],
  properties: {
    access_token: { type: 'string' },
    token_type: { type: 'string', const: 'Bearer' },
    expires_in: { type: 'integer' },
    scope: { type: 'string' },
  },
} as const;

export async function tokenRoute(fastify: FastifyInstance, options: TokenRouteOptions): Promise<void> {
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser(FORM, { parseAs: 'string', bodyLimit: 64 * 1024 }, (_request, body, done) => {
    try {
      done(null, parseForm(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });

  fastify.setErrorHandler((error: FastifyError, request, reply) => {
    const refusal = asOAuthError(error);
    if (!refusal) {
      request.log.error({ err: error }, 'token endpoint failed');
      return reply.code(500).headers(NO_STORE).send({ error: 'server_error', error_description: 'internal error' });
    }
    request.log.info({ oauthError: refusal.error, reason: refusal.detail }, 'token request refused');
    return reply.code(refusal.status).headers(NO_STORE).send(refusal.toJSON());
  });

  fastify.route<{ Body: TokenRequestParams }>({
    method: 'POST',
    url: TOKEN_PATH,
    schema: {
      body: tokenRequestSchema,
      response: { 200: tokenResponseSchema, 400: oauthErrorSchema, 401: oauthErrorSchema },
    },
    handler: async (request, reply) => {
      const grant = await options.service.exchange(request.body ?? {});
      request.log.info({ clientId: grant.clientId, scope: grant.response.scope }, 'access token issued');
      reply.headers(NO_STORE);
      return grant.response;
    },
  });
}

/** RFC 6749 section 3.2: parameters must not be repeated. */
function parseForm(body: string): TokenRequestParams {
  const params: TokenRequestParams = {};
  for (const [name, value] of new URLSearchParams(body)) {
    if (name in params) throw new OAuthError('invalid_request', `parameter ${name} is repeated`);
    params[name] = value;
  }
  return params;
}

function asOAuthError(error: FastifyError): OAuthError | null {
  if (error instanceof OAuthError) return error;
  if (error.validation) return new OAuthError('invalid_request', error.message);
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || error.code === 'FST_ERR_CTP_EMPTY_TYPE') {
    return new OAuthError('invalid_request', `Content-Type must be ${FORM}`);
  }
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    return new OAuthError('invalid_request', error.message);
  }
  return null;
}
