// Assembles the consent capability of a node from its parts (tables, store, vault, chain ports, member
// key) and hands the HTTP layer what it plugs in: the member-aware authorize, the per-request
// service and the patient routes. Starting it catches the grant cache up with the chain.

import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
import type { Authorize } from '../fhir/authorize.js';
import type { ConsentPort, Hex, MemberPort } from '../ledger/ports.js';
import type { ResourceService } from '../store/service.js';
import type { Vault } from '../store/vault.js';
import { AccessLog } from './access-log.js';
import { ConsentEnforcer } from './consent-enforcer.js';
import { ConsentService } from './consent-service.js';
import type { ConsentTables } from './consent-tables.js';
import { ConsentView } from './consent-view.js';
import { EmergencyLog } from './emergency-log.js';
import { PatientErasure } from './erasure.js';
import { GrantCache } from './grant-cache.js';
import { GrantScopes } from './grant-scopes.js';
import { GrantSync } from './grant-sync.js';
import { MemberAccess } from './member-access.js';
import { MemberAuthenticator } from './member-authenticator.js';
import { MemberDirectory } from './member-directory.js';
import { PatientKeys } from './patient-keys.js';
import { PatientSessions } from './patient-sessions.js';
import { type PatientRoutesOptions, patientRoutes } from './patient-routes.js';

export interface ConsentCapabilityOptions {
  /** What the capability keeps in the node's database (gateway/store/consent-store.ts). */
  tables: ConsentTables;
  /** Seals custodial patient keys in the patient's compartment. */
  vault: Vault;
  /** The node's own store: the view reads it, AuditEvents and Consents are written to it. */
  store: ResourceService;
  consents: ConsentPort;
  members: MemberPort;
  self: { memberId: Hex; orgId: string; signerKey: string };
  /** Values a member JWT's `aud` may take (the public URL and the FHIR base). */
  audiences: string[];
  /** The patient view's telehealth consults (gateway/telehealth/patient-consults.ts). */
  consults?: PatientRoutesOptions['consults'];
  /** How often the grant cache polls the chain; default 500 ms. */
  pollIntervalMs?: number;
  /** Seconds a signer -> member lookup is trusted; default 10 s. */
  memberCacheMs?: number;
  now?: () => number;
}

export interface ConsentCapability {
  authorize(system: Authorize): Authorize;
  serviceFor(request: FastifyRequest): ResourceService;
  routes(app: FastifyInstance): Promise<void>;
  /** Where warnings go once the app's logger exists. */
  useLogger(log: FastifyBaseLogger): void;
  cache: GrantCache;
  enforcer: ConsentEnforcer;
  service: ConsentService;
  keys: PatientKeys;
  sync: GrantSync;
  close(): Promise<void>;
}

export async function startConsentCapability(options: ConsentCapabilityOptions): Promise<ConsentCapability> {
  const now = options.now ?? Date.now;
  let log: FastifyBaseLogger | undefined;
  const warn = (what: string) => (error: unknown) => log?.warn({ err: error }, what);

  const node = { memberId: options.self.memberId, orgId: options.self.orgId };
  const cache = new GrantCache();
  const { tables } = options;
  const scopes = await GrantScopes.open(tables.grants);
  const keys = await PatientKeys.open(tables.patientKeys, options.vault, options.self.memberId);
  const sessions = new PatientSessions(tables.patientTokens, now);
  const accessLog = new AccessLog(options.store, node, () => new Date(now()));
  const emergency = new EmergencyLog(tables.emergencyOutbox, options.consents, warn('logging a break-glass access on chain failed; retrying'));
  const enforcer = new ConsentEnforcer(keys, cache, scopes, accessLog, emergency, now);
  const service = new ConsentService(options.consents, cache, scopes, keys, options.store, now);
  const erasure = new PatientErasure(tables.erasure, options.store, keys, sessions, scopes, service, node, now);
  const authenticator = new MemberAuthenticator({
    jtis: tables.memberJtis,
    directory: new MemberDirectory(options.members, options.memberCacheMs ?? 10_000, now),
    audiences: options.audiences,
    now,
  });
  const access = new MemberAccess(authenticator, options.store, (principal) => new ConsentView(options.store, principal, enforcer));
  const sync = new GrantSync(options.consents, cache, { intervalMs: options.pollIntervalMs ?? 500, onError: warn('polling the consent registry failed') });

  await sync.start();
  emergency.start();

  return {
    authorize: (system) => access.authorize(system),
    serviceFor: (request) => access.serviceFor(request),
    routes: patientRoutes({ consents: service, keys, sessions, accessLog, emergency, erasure, cache, store: options.store, self: options.self, consults: options.consults }),
    useLogger: (logger) => {
      log = logger;
    },
    cache,
    enforcer,
    service,
    keys,
    sync,
    async close() {
      await sync.stop();
      await emergency.stop();
    },
  };
}
