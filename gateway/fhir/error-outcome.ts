// Maps anything thrown below the HTTP layer (OperationOutcomeError, fastify's own errors for
// parsing, body size, media type and schema validation, plain bugs) to an OperationOutcome and
// a status. Unexpected errors become a bare 500 so no internals leak to the client.

import { badRequest, OperationOutcomeError, serverTimeout } from '@medplum/core';
import type { OperationOutcome } from '@medplum/fhirtypes';
import { isChainUnavailable } from '../ledger/chain-unavailable.js';
import { internalError, outcomeStatus, payloadTooLarge, tooManyRequests, unsupportedMediaType } from './outcomes.js';

export interface ErrorOutcome {
  status: number;
  outcome: OperationOutcome;
  /** true for errors nobody anticipated: the caller logs them. */
  unexpected: boolean;
  /** Sent as Retry-After: the request may succeed later as it is. */
  retryAfterSeconds?: number;
}

/** Seconds a client should wait before asking again when the chain did not answer. */
const CHAIN_RETRY_AFTER_SECONDS = 10;

interface FastifyLikeError {
  code?: string;
  statusCode?: number;
  message?: string;
  validation?: unknown;
  validationContext?: string;
}

export function errorOutcome(error: unknown, context: { bodyLimit: number; contentType?: string }): ErrorOutcome {
  if (error instanceof OperationOutcomeError) {
    return { status: outcomeStatus(error.outcome), outcome: error.outcome, unexpected: false };
  }
  const e = (typeof error === 'object' && error !== null ? error : {}) as FastifyLikeError;
  if (e.validation) {
    return { status: 400, outcome: badRequest(e.message ?? 'Invalid request', e.validationContext), unexpected: false };
  }
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, outcome: payloadTooLarge(context.bodyLimit), unexpected: false };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, outcome: unsupportedMediaType(context.contentType), unexpected: false };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { status: 400, outcome: badRequest('Malformed JSON body'), unexpected: false };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, outcome: badRequest('Empty request body'), unexpected: false };
  }
  if (e.statusCode === 429) {
    return { status: 429, outcome: tooManyRequests(e.message ?? 'Too many requests'), unexpected: false };
  }
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
    return { status: e.statusCode, outcome: badRequest(e.message ?? 'Bad request'), unexpected: false };
  }
  // Any request that waits on the chain (anchor lookups, consent and membership reads) fails within
  // the chain deadline when the chain is hung or down: that is a 504 to retry, not a bug.
  if (isChainUnavailable(error)) {
    return {
      status: 504,
      outcome: serverTimeout(`The chain did not answer in time; retry after ${CHAIN_RETRY_AFTER_SECONDS} seconds`),
      unexpected: false,
      retryAfterSeconds: CHAIN_RETRY_AFTER_SECONDS,
    };
  }
  return { status: 500, outcome: internalError(), unexpected: true };
}
