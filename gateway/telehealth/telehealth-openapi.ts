// The OpenAPI 3.1 document of the /telehealth routes, generated from the JSON schemas the routes
// declare (the same ones fastify validates and serializes with), so it cannot drift from what
// the routes do. A small generator rather than @fastify/swagger: the routes' schemas are plain
// JSON Schema, which OpenAPI 3.1 takes as it is, and no other part of the node needs Swagger UI.

import type { FastifyInstance, RouteOptions } from 'fastify';

interface RouteSchema {
  summary?: string;
  params?: { properties?: Record<string, object>; required?: readonly string[] };
  querystring?: { properties?: Record<string, object>; required?: readonly string[] };
  body?: object;
  response?: Record<string, object>;
}

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  paths: Record<string, Record<string, object>>;
}

/** Collects every route added to `app` (and its children) from now on under `prefix`. */
export function collectOpenApi(app: FastifyInstance, prefix: string, info: { version: string }): () => OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  app.addHook('onRoute', (route: RouteOptions) => {
    if (!route.url.startsWith(prefix)) return;
    const methods = (Array.isArray(route.method) ? route.method : [route.method]).map((m) => m.toLowerCase()).filter((m) => m !== 'head');
    const path = route.url.replace(/:([A-Za-z]+)/g, '{$1}');
    for (const method of methods) (paths[path] ??= {})[method] = operation((route.schema ?? {}) as RouteSchema, route.websocket === true);
  });
  return () => ({
    openapi: '3.1.0',
    info: {
      title: 'careledger telehealth',
      version: info.version,
      description:
        'Cross-institution consults: booking, the consult workflow, invitations, escalations, joins, messages and notifications. Errors are FHIR OperationOutcomes. See docs/telehealth.md.',
    },
    paths,
  });
}

function operation(schema: RouteSchema, websocket: boolean): object {
  const parameters = [
    ...Object.entries(schema.params?.properties ?? {}).map(([name, s]) => ({ name, in: 'path', required: true, schema: s })),
    ...Object.entries(schema.querystring?.properties ?? {}).map(([name, s]) => ({
      name,
      in: 'query',
      required: schema.querystring?.required?.includes(name) ?? false,
      schema: s,
    })),
  ];
  const responses = Object.fromEntries(
    Object.entries(schema.response ?? { 200: {} }).map(([status, s]) => [
      status,
      { description: status.startsWith('2') ? 'Success' : 'An OperationOutcome', content: { 'application/json': { schema: s } } },
    ]),
  );
  if (websocket) responses['101'] = { description: 'WebSocket upgrade (signaling)' } as never;
  return {
    ...(schema.summary ? { summary: schema.summary } : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(schema.body ? { requestBody: { required: true, content: { 'application/json': { schema: schema.body } } } } : {}),
    responses,
  };
}
