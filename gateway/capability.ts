// The one shape every capability of a node has (consent, cohort, the EHR adapters, and the
// telehealth and claims capabilities to come), so gateway/node.ts composes them from one list
// (gateway/node-capabilities.ts) instead of wiring each by hand. A capability is named by its
// key in that list; everything but stop is optional: it declares only the hooks it uses.

import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import type { Authorize } from './fhir/authorize.js';
import type { ResourceService } from './store/service.js';

export interface Capability {
  /** Routes it adds to the app, registered after the core FHIR routes, in list order. */
  routes?(app: FastifyInstance): Promise<void>;
  /** Runs once the app exists and before it listens; throwing stops the node from starting. */
  start?(log: FastifyBaseLogger): void | Promise<void>;
  /** Finishes what it has in hand and releases what it holds. */
  stop(): Promise<void>;
  /** What /health reports under its name; fields outside healthSchema are not serialized. */
  health?(): object;
  /** JSON schema of health(), for /health's response schema. */
  readonly healthSchema?: object;
  /** True while it is on but not working: the node then reports "degraded". */
  degraded?(): boolean;
  /** Registers its own metrics beside the node's. */
  metrics?(registry: Registry): void;
  /** Wraps the SMART check of the FHIR routes (e.g. to admit consortium members' JWTs). */
  authorize?(system: Authorize): Authorize;
  /** The service one FHIR request sees; at most one capability may provide it. */
  serviceFor?(request: FastifyRequest): ResourceService;
  /** Called after each Merkle batch of this node is anchored, with its sequence. */
  batchAnchored?(sequence: number): void;
}
