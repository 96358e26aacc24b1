import { notFound, OperationOutcomeError } from '@medplum/core';
import { describe, expect, it } from 'vitest';
import { errorOutcome } from './error-outcome.js';

const context = { bodyLimit: 100, contentType: 'text/csv' };

describe('errorOutcome', () => {
  it('keeps an OperationOutcomeError and its status', () => {
    expect(errorOutcome(new OperationOutcomeError(notFound), context)).toEqual({ status: 404, outcome: notFound, unexpected: false });
  });

  it('maps schema validation errors to 400 with the failing part', () => {
    const error = Object.assign(new Error('body/status must be equal to one of the allowed values'), {
      validation: [{ instancePath: '/status' }],
      validationContext: 'body',
      statusCode: 400,
    });
    const mapped = errorOutcome(error, context);
    expect(mapped.status).toBe(400);
    expect(mapped.outcome.issue[0]).toMatchObject({ code: 'invalid', expression: ['body'], details: { text: error.message } });
  });

  it('maps fastify content errors', () => {
    const fastifyError = (code: string, statusCode: number) => Object.assign(new Error(code), { code, statusCode });
    expect(errorOutcome(fastifyError('FST_ERR_CTP_BODY_TOO_LARGE', 413), context).status).toBe(413);
    expect(errorOutcome(fastifyError('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415), context).outcome.issue[0].details?.text).toContain('text/csv');
    expect(errorOutcome(fastifyError('FST_ERR_SOMETHING_NEW', 429), context).status).toBe(429);
  });

  it('hides anything unexpected behind a 500', () => {
    const mapped = errorOutcome(new Error('password=hunter2'), context);
    expect(mapped).toMatchObject({ status: 500, unexpected: true });
    expect(JSON.stringify(mapped.outcome)).not.toContain('hunter2');
    expect(errorOutcome('a string', context).status).toBe(500);
  });
});
