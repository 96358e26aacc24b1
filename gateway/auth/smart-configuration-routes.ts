// Serves the SMART discovery document at the server root and under every FHIR base, where SMART
// clients look for it (`<fhirBase>/.well-known/smart-configuration`).

import type { FastifyInstance } from 'fastify';
import { smartConfigurationSchema, type SmartConfiguration } from './smart-configuration.js';

export interface SmartConfigurationRoutesOptions {
  document: SmartConfiguration;
  fhirBases: readonly string[];
}

const WELL_KNOWN = '/.well-known/smart-configuration';

export async function smartConfigurationRoutes(
  fastify: FastifyInstance,
  options: SmartConfigurationRoutesOptions,
): Promise<void> {
  const paths = new Set([WELL_KNOWN, ...options.fhirBases.map((base) => normalizeBase(base) + WELL_KNOWN)]);
  for (const url of paths) {
    fastify.route({
      method: 'GET',
      url,
      schema: {
        response: { 200: smartConfigurationSchema },
      },
      handler: async (_request, reply) => {
        // no-store, not a max-age: the document is small and read once per client session, and a
        // widely used HTTP client on Node 20 kept a max-age response for the life of the process,
        // so a rotated token endpoint or a new signing algorithm never reached it.
        reply.header('cache-control', 'no-store');
        return options.document;
      },
    });
  }
}

function normalizeBase(base: string): string {
  const trimmed = base.replace(/\/+$/, '');
  if (trimmed !== '' && !trimmed.startsWith('/')) {
    throw new Error(`FHIR base paths must start with "/", got "${base}"`);
  }
  return trimmed;
}
