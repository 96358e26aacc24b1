// The one question every FHIR route asks before it touches the service. Its own module so the
// operations ($verify-anchor, ...) and the route options can both name it without importing
// each other.

import type { FastifyRequest } from 'fastify';

export type FhirInteraction = 'read' | 'vread' | 'history' | 'search' | 'create' | 'update' | 'delete' | 'operation';

/** Throws OperationOutcomeError (401/403) when the request may not do `interaction` on `resourceType`. */
export type Authorize = (request: FastifyRequest, resourceType: string, interaction: FhirInteraction) => void | Promise<void>;
