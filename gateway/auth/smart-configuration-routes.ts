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
        reply.header('cache-control', 'public, max-age=3600');
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
