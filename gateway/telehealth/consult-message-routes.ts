// The consultation's chat and files over HTTP, for the session's admitted participants:
//   POST /telehealth/sessions/:sessionId/messages                       {"text": "..."} -> 201
//   POST /telehealth/sessions/:sessionId/files                          raw bytes, Content-Type image/jpeg, image/png or application/pdf -> 201
//   GET  /telehealth/sessions/:sessionId/messages                       every message, oldest first
//   GET  /telehealth/sessions/:sessionId/messages/:messageId/content    a file's bytes (or a text's UTF-8)
// Chat is not on the signaling relay: a message must be durable, sealed and anchored before anyone
// is told of it, while the relay persists nothing. Participants learn of a new message through
// their notification stream (a `message` notice) and read it here. Who the caller is comes from
// the workflow's participant credential (`participantOf`); what they may do is re-checked on
// every call through SessionGate. Errors are OperationOutcomes, like the FHIR routes.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { errorOutcome } from '../fhir/error-outcome.js';
import { type ConsultMessages, FILE_SIGNATURES, MAX_FILE_BYTES, MAX_TEXT_CHARS } from './consult-messages.js';

export interface ConsultMessageRoutesOptions {
  messages: ConsultMessages;
  /**
   * The participant id of the caller in this session, from the credential the workflow issues to
   * participants; throws an OperationOutcomeError 401 when there is none or it is not valid.
   */
  participantOf(request: FastifyRequest, sessionId: string): Promise<string>;
}

const SESSION_PATTERN = '^[A-Za-z0-9_-]{16,128}$';
const sessionParams = {
  type: 'object',
  required: ['sessionId'],
  properties: { sessionId: { type: 'string', pattern: SESSION_PATTERN } },
} as const;
const messageParams = {
  type: 'object',
  required: ['sessionId', 'messageId'],
  properties: { sessionId: { type: 'string', pattern: SESSION_PATTERN }, messageId: { type: 'string', format: 'uuid' } },
} as const;

const outcomeSchema = { type: 'object', required: ['resourceType'], properties: { resourceType: { const: 'OperationOutcome' } }, additionalProperties: true } as const;

const consultMessageSchema = {
  type: 'object',
  required: ['id', 'sender', 'senderRole', 'kind', 'contentType', 'size', 'sentAt', 'communication', 'expired'],
  additionalProperties: false,
  properties: {
    id: { type: 'string', format: 'uuid' },
    sender: { type: 'string', description: 'The participant id of the sender' },
    senderRole: { type: 'string', enum: ['patient', 'provider', 'specialist', 'second-opinion', 'observer'] },
    kind: { type: 'string', enum: ['text', 'file'] },
    contentType: { type: 'string' },
    size: { type: 'integer', minimum: 0, description: 'Bytes of content' },
    sentAt: { type: 'string', format: 'date-time' },
    communication: { type: 'string', description: 'The anchored Communication/<id>/_history/<v> recording the message (no content)' },
    text: { type: 'string', description: 'Text messages, while kept' },
    expired: { type: 'boolean', description: 'True once the retention period ended and the content was shredded' },
  },
} as const;

export function consultMessageRoutes(options: ConsultMessageRoutesOptions) {
  const { messages } = options;
  const sessionOf = (request: FastifyRequest) => (request.params as { sessionId: string }).sessionId;

  return async function routes(app: FastifyInstance): Promise<void> {
    app.setErrorHandler((error, request, reply) => {
      const mapped = errorOutcome(error, { bodyLimit: MAX_FILE_BYTES, contentType: request.headers['content-type'] });
      if (mapped.unexpected) request.log.error({ err: error }, 'telehealth message request failed');
      return reply.code(mapped.status).type('application/fhir+json').send(mapped.outcome);
    });
    // Files arrive as their own bytes; what they are is decided from those bytes (consult-messages.ts).
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_FILE_BYTES }, (_request, body, done) => done(null, body));
    // Who calls is settled before any body is read: a stranger cannot make the node buffer a file.
    const callers = new WeakMap<FastifyRequest, string>();
    app.addHook('onRequest', async (request) => {
      callers.set(request, await options.participantOf(request, sessionOf(request)));
    });
    const participantOf = (request: FastifyRequest) => callers.get(request)!;

    app.post(
      '/telehealth/sessions/:sessionId/messages',
      {
        schema: {
          summary: 'Post a chat message to the consultation',
          params: sessionParams,
          body: { type: 'object', required: ['text'], additionalProperties: false, properties: { text: { type: 'string', minLength: 1, maxLength: MAX_TEXT_CHARS } } },
          response: { 201: consultMessageSchema, '4xx': outcomeSchema },
        },
      },
      async (request, reply) => {
        const sessionId = sessionOf(request);
        const participant = participantOf(request);
        const { text } = request.body as { text: string };
        return reply.code(201).send(await messages.post(sessionId, participant, { kind: 'text', text }));
      },
    );

    app.post(
      '/telehealth/sessions/:sessionId/files',
      {
        bodyLimit: MAX_FILE_BYTES,
        schema: {
          summary: `Post a file (${Object.keys(FILE_SIGNATURES).join(', ')}; at most ${MAX_FILE_BYTES} bytes) as the raw request body`,
          params: sessionParams,
          response: { 201: consultMessageSchema, '4xx': outcomeSchema },
        },
      },
      async (request, reply) => {
        const sessionId = sessionOf(request);
        const participant = participantOf(request);
        const contentType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
        const bytes = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        return reply.code(201).send(await messages.post(sessionId, participant, { kind: 'file', contentType, bytes }));
      },
    );

    app.get(
      '/telehealth/sessions/:sessionId/messages',
      {
        schema: {
          summary: "The consultation's messages, oldest first",
          params: sessionParams,
          response: {
            200: { type: 'object', required: ['messages'], additionalProperties: false, properties: { messages: { type: 'array', items: consultMessageSchema } } },
            '4xx': outcomeSchema,
          },
        },
      },
      async (request) => {
        const sessionId = sessionOf(request);
        const participant = participantOf(request);
        return { messages: await messages.list(sessionId, participant) };
      },
    );

    app.get(
      '/telehealth/sessions/:sessionId/messages/:messageId/content',
      { schema: { summary: "A message's content with its content type", params: messageParams, response: { '4xx': outcomeSchema } } },
      async (request, reply) => {
        const { sessionId, messageId } = request.params as { sessionId: string; messageId: string };
        const participant = participantOf(request);
        const { contentType, bytes } = await messages.content(sessionId, participant, messageId);
        // Never rendered inline by a browser, never cached: it is a patient's photo or document.
        return reply
          .header('content-disposition', 'attachment')
          .header('x-content-type-options', 'nosniff')
          .header('cache-control', 'no-store')
          .type(contentType)
          .send(bytes);
      },
    );
  };
}
