// Maps anything thrown below the HTTP layer (OperationOutcomeError, fastify's own errors for
// parsing, body size, media type and schema validation, plain bugs) to an OperationOutcome and
// a status. Unexpected errors become a bare 500 so no internals leak to the client.

import { badRequest, OperationOutcomeError } from '@medplum/core';
import type { OperationOutcome } from '@medplum/fhirtypes';
import { internalError, outcomeStatus, payloadTooLarge, unsupportedMediaType } from './outcomes.js';

export interface ErrorOutcome {
  status: number;
  outcome: OperationOutcome;
  /** true for errors nobody anticipated: the caller logs them. */
  unexpected: boolean;
}

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
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
    return { status: e.statusCode, outcome: badRequest(e.message ?? 'Bad request'), unexpected: false };
  }
  return { status: 500, outcome: internalError(), unexpected: true };
}
