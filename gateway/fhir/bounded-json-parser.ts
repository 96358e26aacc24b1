// The JSON body parser every route of the node uses: fastify's own (which refuses __proto__ and
// constructor keys) behind a depth check on the raw text, so no parsed body can reach recursive
// code nested deeper than the limit (see json-depth.ts).

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { JsonTooDeepError, jsonDepthExceeds } from './json-depth.js';

export type JsonBodyParser = (request: FastifyRequest, body: string, done: (error: Error | null, body?: unknown) => void) => void;

export function boundedJsonParser(app: FastifyInstance, maxDepth: number): JsonBodyParser {
  const parse = app.getDefaultJsonParser('error', 'error') as unknown as JsonBodyParser;
  return (request, body, done) => {
    if (jsonDepthExceeds(body, maxDepth)) return done(new JsonTooDeepError(maxDepth));
    parse(request, body, done);
  };
}

export const JSON_MEDIA_TYPES = ['application/json', 'application/fhir+json', 'application/json+fhir'];
