// The claims capability of a node: the evidence of a claim for its payer
// (`GET /fhir/Claim/{id}/$evidence`, evidence-routes.ts) and, when the consortium runs a
// ClaimRegistry, the registration of claim-line fingerprints after each anchored batch (the
// registrar, composed here and driven by the node's batchAnchored hook).

import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { Capability } from '../capability.js';
import type { AuditNode } from '../consent/audit-event.js';
import type { MemberJtiTable } from '../consent/consent-tables.js';
import { MemberAuthenticator } from '../consent/member-authenticator.js';
import { MemberDirectory } from '../consent/member-directory.js';
import type { MemberPort } from '../ledger/ports.js';
import type { ResourceService } from '../store/service.js';
import { EvidenceMetrics } from './evidence-metrics.js';
import { evidenceRoutes } from './evidence-routes.js';
import { PayerAccess } from './payer-access.js';

/** What the capability needs from the fingerprint registrar (node-fingerprints.ts): told of each anchored batch, stopped last. */
export interface ClaimFingerprintRegistrar {
  batchAnchored(sequence: number): void;
  useLogger(log: FastifyBaseLogger): void;
  stop(): Promise<void>;
}

export interface ClaimsCapabilityOptions {
  /** The node's own store: evidence is read from it, AuditEvents are written to it. */
  store: ResourceService;
  /** Who a member JWT's signer acts for, and with which roles. */
  members: MemberPort;
  /** Member JWT ids seen, shared with the consent capability so a JWT is used once at this node. */
  jtis: MemberJtiTable;
  node: AuditNode;
  /** The node's R5 FHIR base, absolute. */
  baseUrl: string;
  /** Values a member JWT's `aud` may take. */
  audiences: string[];
  /** Null when the chain has no ClaimRegistry or the node holds no claims key; then `fingerprintsOff` says which. */
  fingerprints: ClaimFingerprintRegistrar | null;
  fingerprintsOff: string | null;
  memberCacheMs?: number;
  now?: () => number;
}

export function createClaimsCapability(options: ClaimsCapabilityOptions): Capability {
  const now = options.now ?? Date.now;
  const metrics = new EvidenceMetrics();
  const authenticator = new MemberAuthenticator({
    jtis: options.jtis,
    directory: new MemberDirectory(options.members, options.memberCacheMs ?? 10_000, now),
    audiences: options.audiences,
    now,
  });
  const routes = evidenceRoutes({
    store: options.store,
    access: new PayerAccess(authenticator, options.store),
    node: options.node,
    baseUrl: options.baseUrl,
    metrics,
    now: () => new Date(now()),
  });
  return {
    routes: async (app: FastifyInstance) => {
      await app.register(routes);
    },
    metrics: (registry: Registry) => metrics.register(registry),
    start: (log: FastifyBaseLogger) => {
      if (options.fingerprints) options.fingerprints.useLogger(log);
      else log.info(`claim-line fingerprints are off: ${options.fingerprintsOff ?? 'no registrar'}; duplicate claims billed here cannot be found`);
    },
    // Whether this node registers claim-line fingerprints: without them its duplicates go unseen.
    health: () => ({ fingerprints: options.fingerprints !== null, ...(options.fingerprintsOff ? { fingerprintsOff: options.fingerprintsOff } : {}) }),
    healthSchema: {
      type: 'object',
      properties: { fingerprints: { type: 'boolean' }, fingerprintsOff: { type: 'string' } },
    },
    batchAnchored: (sequence: number) => options.fingerprints?.batchAnchored(sequence),
    stop: async () => {
      await options.fingerprints?.stop();
    },
  };
}
