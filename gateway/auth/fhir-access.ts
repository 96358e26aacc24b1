// The check every FHIR route makes: is there a valid bearer token (else 401), and do its scopes
// permit this interaction on this resource type (else 403)? Refusals are OperationOutcomeErrors
// for the FHIR error handler, carrying the RFC 6750 WWW-Authenticate challenge that the auth
// plugin's onError hook puts on the reply.

import { forbidden, OperationOutcomeError, unauthorized } from '@medplum/core';
import type { OperationOutcome } from '@medplum/fhirtypes';
import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import {
  isPermitted,
  parseGrantedScopes,
  requiredPermissions,
  type AccessOptions,
  type FhirInteraction,
} from './access-decision.js';
import type { SystemPrincipal } from './bearer-credential.js';
import type { DedicatedScope } from './smart-scopes.js';

const AUTH_REALM = 'careledger';

/** A 401 or 403 whose `challenge` belongs in the reply's WWW-Authenticate header. */
export class BearerAuthError extends OperationOutcomeError {
  constructor(
    outcome: OperationOutcome,
    readonly challenge: string,
  ) {
    super(outcome);
    this.name = 'BearerAuthError';
  }
}

export interface BearerChallengeParams {
  /** Omit when the request carried no credential at all (RFC 6750 section 3.1). */
  error?: 'invalid_request' | 'invalid_token' | 'insufficient_scope';
  description?: string;
  /** For insufficient_scope: a scope that would have been enough. */
  scope?: string;
}

/** The value of a `WWW-Authenticate: Bearer ...` header (RFC 6750 section 3). */
export function bearerChallenge(params: BearerChallengeParams = {}): string {
  const parts = [`realm="${AUTH_REALM}"`];
  if (params.error) parts.push(`error="${params.error}"`);
  if (params.description) parts.push(`error_description="${quotable(params.description)}"`);
  if (params.scope) parts.push(`scope="${quotable(params.scope)}"`);
  return `Bearer ${parts.join(', ')}`;
}

/** The request's principal, or BearerAuthError 401 with the token problem as the challenge. */
function authenticatedPrincipal(request: FastifyRequest): SystemPrincipal {
  const result = request.server.smartAuth.authenticate(request);
  if (result.principal) return result.principal;
  const description = result.problem?.description ?? 'A bearer access token is required';
  throw new BearerAuthError(
    withDiagnostics(unauthorized, description),
    bearerChallenge(result.problem ? { error: result.problem.error, description } : {}),
  );
}

/**
 * Throws BearerAuthError unless the request's bearer token permits the interaction; returns the
 * principal when it does. `resourceType` undefined means system level (search or history across
 * all types), which only `system/*` scopes permit.
 */
export function requireFhirAccess(
  request: FastifyRequest,
  resourceType: string | undefined,
  interaction: FhirInteraction,
  options: AccessOptions = {},
): SystemPrincipal {
  const principal = authenticatedPrincipal(request);
  const permissions = requiredPermissions(interaction, resourceType, options);
  if (!isPermitted(parseGrantedScopes(principal.scopes), resourceType, permissions)) {
    const needed = `system/${resourceType ?? '*'}.${permissions}`;
    const description = `The token's scopes do not permit ${interaction} on ${resourceType ?? 'all resource types'} (needs ${needed})`;
    throw new BearerAuthError(
      withDiagnostics(forbidden, description),
      bearerChallenge({ error: 'insufficient_scope', description, scope: needed }),
    );
  }
  return principal;
}

/**
 * Throws BearerAuthError unless the request's bearer token holds this dedicated scope by name
 * (no resource scope or wildcard implies one); returns the principal when it does.
 */
export function requireDedicatedScope(request: FastifyRequest, scope: DedicatedScope, action: string): SystemPrincipal {
  const principal = authenticatedPrincipal(request);
  if (!principal.scopes.includes(scope)) {
    const description = `${action} needs a staff token with the dedicated scope ${scope} (register the client with it: careledger client register --scope "${scope} ...")`;
    throw new BearerAuthError(
      withDiagnostics(forbidden, description),
      bearerChallenge({ error: 'insufficient_scope', description, scope }),
    );
  }
  return principal;
}

/**
 * requireFhirAccess as a preHandler, for routes whose resource type is fixed by the path
 * (`/fhir/$export` needs `fhirAccessHook(undefined, 'operation', { permissions: 'rs' })`).
 */
export function fhirAccessHook(
  resourceType: string | undefined,
  interaction: FhirInteraction,
  options: AccessOptions = {},
): preHandlerAsyncHookHandler {
  return async (request) => {
    requireFhirAccess(request, resourceType, interaction, options);
  };
}

function withDiagnostics(outcome: OperationOutcome, diagnostics: string): OperationOutcome {
  return { ...outcome, issue: (outcome.issue ?? []).map((issue) => ({ ...issue, diagnostics })) };
}

/** RFC 6750 allows only %x20-21 / %x23-5B / %x5D-7E inside these quoted values. */
function quotable(text: string): string {
  return text.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, "'");
}
