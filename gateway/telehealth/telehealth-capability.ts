// Assembles the telehealth capability of a node from its parts: the consult workflow (session
// service over the telehealth tables and the node's intake), the consent gate over a grant cache
// kept current from ConsentRegistry, the licence check over LicenceRegistry, the chain outbox to
// TelehealthRegistry, the revocation watch, the join desk (join tokens, TURN credentials, holder
// proofs), the signaling relay and notification streams, and the consult's messages, retention
// and visit notes. Routes are mounted in one scope so the OpenAPI document sees all of them.

import { OperationOutcomeError, unauthorized } from '@medplum/core';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { Gauge } from 'prom-client';
import type { NodeConfig, TelehealthRelayConfig } from '../config.js';
import { GrantCache } from '../consent/grant-cache.js';
import { GrantSync } from '../consent/grant-sync.js';
import { MemberAuthenticator } from '../consent/member-authenticator.js';
import { MemberDirectory } from '../consent/member-directory.js';
import { PatientSessions } from '../consent/patient-sessions.js';
import { MemberRole, type ConsentPort, type Hex, type LicencePort, type MemberPort, type TelehealthPort } from '../ledger/ports.js';
import { FHIR_BASE } from '../server/fhir-bases.js';
import { openConsentTables } from '../store/consent-store.js';
import { openConsultMessageStore } from '../store/consult-message-store.js';
import type { Db } from '../store/database.js';
import { SqliteJoinTokenIds } from '../store/join-token-store.js';
import type { SealingVault } from '../store/ports.js';
import type { ResourceService } from '../store/service.js';
import { openTelehealthTables } from '../store/telehealth-store.js';
import type { Vault } from '../store/vault.js';
import { ChainOutbox } from './chain-outbox.js';
import { ConsentGate } from './consent-gate.js';
import { ConsultCallers, type LocalPatients } from './consult-callers.js';
import { ConsultJoins } from './consult-joins.js';
import { openConsultMessaging } from './consult-messaging.js';
import { JoinTokens, deriveJoinTokenKey } from './join-token.js';
import { LicenceCheck } from './licence-check.js';
import { HolderChallenges } from './licence-holder-proof.js';
import { EscalationWebhook, pagingOnEscalation } from './escalation-webhook.js';
import { ConsultNotifications, registerNotificationStream } from './notification-stream.js';
import { PatientAssertionVerifier } from './patient-assertion.js';
import { PatientConsults } from './patient-consults.js';
import { RevocationWatch } from './revocation-watch.js';
import { SessionService, type LicenceVerdict } from './session-service.js';
import { registerSignalingRelay, type SignalingRelay } from './signaling-relay.js';
import { collectOpenApi } from './telehealth-openapi.js';
import { TELEHEALTH_PREFIX, telehealthRoutes } from './telehealth-routes.js';
import type { TurnSettings } from './turn-credentials.js';

export interface TelehealthCapabilityOptions {
  config: Pick<NodeConfig, 'publicUrl' | 'telehealthRecords'> & { turn: TurnSettings; relay: TelehealthRelayConfig };
  db: Db;
  masterKey: Buffer;
  vault: Vault;
  store: ResourceService;
  chain: {
    memberId: Hex;
    chainId: number;
    members: MemberPort;
    consents: ConsentPort;
    telehealth: TelehealthPort;
    licences: LicencePort | null;
  };
  self: { orgId: string; signerKey: string };
  version: string;
  /** Revocation watch and outbox retry interval; default 1 s. */
  pollIntervalMs?: number;
}

export interface TelehealthCapability {
  service: SessionService;
  outbox: ChainOutbox;
  watch: RevocationWatch;
  notifications: ConsultNotifications;
  routes(app: FastifyInstance): Promise<void>;
  start(log: FastifyBaseLogger): Promise<void>;
  stop(): Promise<void>;
  health(): object;
  readonly healthSchema: object;
  metrics(registry: Registry): void;
}

export function startTelehealthCapability(options: TelehealthCapabilityOptions): TelehealthCapability {
  const { chain, config, db, store } = options;
  let log: FastifyBaseLogger | undefined;
  const warn = (what: string) => (error: unknown) => log?.warn({ err: error }, what);
  const intervalMs = options.pollIntervalMs ?? 1_000;

  const tables = openTelehealthTables(db);
  const consentTables = openConsentTables(db, options.vault);
  const grants = new GrantCache();
  const grantSync = new GrantSync(chain.consents, grants, { onError: warn('polling the consent registry for telehealth failed') });
  const consent = new ConsentGate(grants, chain.memberId);
  const licenceCheck = chain.licences ? new LicenceCheck(chain.licences, chain.members, chain.chainId) : null;
  const licence: LicenceVerdict = async (subject, atMs) => {
    if (!licenceCheck) return { ok: false, detail: 'this consortium has no LicenceRegistry: no practitioner can prove a licence' };
    const verdict = await licenceCheck.check(subject, new Date(atMs));
    return verdict.ok ? { ok: true } : { ok: false, detail: `${verdict.refusal}: ${verdict.detail}` };
  };
  const isHospital = async (memberId: Hex) => {
    const member = await chain.members.getMemberById(memberId);
    return !!member && member.active && (member.roles & MemberRole.HOSPITAL) !== 0;
  };
  const notifications = new ConsultNotifications();
  // The hospital's paging system hears of escalations besides the participants, when configured.
  const webhook = config.relay.escalationWebhook;
  const notifier = webhook
    ? pagingOnEscalation(
        notifications,
        new EscalationWebhook({
          ...webhook,
          hostMember: chain.memberId,
          linkBase: `${config.publicUrl}${TELEHEALTH_PREFIX}/sessions`,
          log: { warn: (object: object, message?: string) => log?.warn(object, message) },
        }),
      )
    : notifications;
  let outbox: ChainOutbox;
  const service = new SessionService({
    tables,
    store,
    consent,
    licence,
    isHospital,
    notifier,
    self: { memberId: chain.memberId, orgId: options.self.orgId },
    refreshGrants: () => grantSync.poll(),
    onQueued: () => void outbox.flush(),
  });
  outbox = new ChainOutbox({
    tables,
    port: chain.telehealth,
    onRejected: async (rejection) => {
      log?.warn({ sessionId: rejection.sessionId, write: rejection.kind, reason: rejection.reason }, 'the telehealth registry refused a session write');
      await service.chainRejected(rejection);
    },
    onError: warn('sending telehealth writes to the chain failed; retrying'),
    retryMs: intervalMs,
  });
  const watch = new RevocationWatch({ grants: grantSync, licences: chain.licences, service, licence, intervalMs, onError: warn('the telehealth revocation watch failed; retrying') });

  const directory = new MemberDirectory(chain.members, 10_000);
  const audiences = [config.publicUrl, `${config.publicUrl}${FHIR_BASE}`, `${config.publicUrl}${TELEHEALTH_PREFIX}`];
  const patientSessions = new PatientSessions(consentTables.patientTokens);
  const localPatients: LocalPatients = async (token) => {
    const patientId = await patientSessions.patientOf(token);
    if (!patientId) return null;
    const key = await consentTables.patientKeys.get(patientId);
    return { patientId, address: (key?.address as Hex | undefined) ?? null };
  };
  const patientOf = async (address: Hex) => (await consentTables.patientKeys.all()).find((key) => key.address === address.toLowerCase())?.patientId ?? null;
  const members = new MemberAuthenticator({ jtis: consentTables.memberJtis, directory, audiences });
  const callers = new ConsultCallers({ self: chain.memberId, localPatients, assertions: new PatientAssertionVerifier(directory, audiences), members });
  const joinTokens = new JoinTokens({
    key: deriveJoinTokenKey(options.masterKey),
    issuer: config.publicUrl,
    audience: `${config.publicUrl}${TELEHEALTH_PREFIX}`,
    ids: new SqliteJoinTokenIds(db),
    ttlSeconds: config.relay.joinTokenTtlSeconds,
  });
  const joins = new ConsultJoins({ service, tokens: joinTokens, challenges: new HolderChallenges(), turn: config.turn });
  const messaging = openConsultMessaging({
    tables: openConsultMessageStore(db),
    sessions: tables,
    vault: options.vault as SealingVault,
    store,
    config: config.telehealthRecords,
    self: { memberId: chain.memberId, orgId: options.self.orgId, signerKey: options.self.signerKey },
    gate: service,
    notifier: notifications,
    participantOf: async (request, sessionId) => {
      const token = /^Bearer +(\S+) *$/i.exec(request.headers.authorization ?? '')?.[1];
      const verified = token ? await joinTokens.verifyNotificationToken(token, sessionId) : null;
      if (!verified?.ok) throw unauthenticated('Present your notification token for this session (POST /telehealth/sessions/:id/notification-token)');
      return verified.claims.participant.participantId;
    },
    authenticateMember: (authorization) => members.authenticate(authorization),
    consents: chain.consents,
    patients: { patientOf },
  });

  let relay: SignalingRelay | undefined;
  let backlog = { pending: 0, oldestMs: 0 };
  const refreshBacklog = setInterval(() => {
    tables.backlog(Date.now()).then((value) => (backlog = value), warn('reading the telehealth outbox backlog failed'));
  }, 5_000);
  refreshBacklog.unref();

  return {
    service,
    outbox,
    watch,
    notifications,
    async routes(app) {
      await app.register(async (scope) => {
        const openapi = collectOpenApi(scope, TELEHEALTH_PREFIX, { version: options.version });
        await scope.register(
          telehealthRoutes({
            service,
            callers,
            joins,
            store,
            visitNotes: messaging.visitNotes,
            patientOf,
            localPatients,
            consults: new PatientConsults(tables, store),
            self: { memberId: chain.memberId, signerKey: options.self.signerKey },
          }),
        );
        relay = await registerSignalingRelay(scope, { tokens: joinTokens, gate: service, ejections: service, limits: config.relay.limits });
        await registerNotificationStream(scope, { tokens: joinTokens, gate: service, ejections: service, notifications });
        await messaging.routes(scope);
        scope.get(`${TELEHEALTH_PREFIX}/openapi.json`, async () => openapi());
      });
    },
    async start(logger) {
      log = logger;
      await watch.start();
      outbox.start();
      messaging.start(logger);
    },
    async stop() {
      clearInterval(refreshBacklog);
      await watch.stop();
      await outbox.stop();
      await messaging.stop();
    },
    health: () => ({ chainWritesPending: backlog.pending, oldestPendingMs: backlog.oldestMs, relay: relay?.stats() ?? null }),
    healthSchema: {
      type: 'object',
      properties: {
        chainWritesPending: { type: 'integer' },
        oldestPendingMs: { type: 'integer' },
        relay: { type: ['object', 'null'], properties: { rooms: { type: 'integer' }, sockets: { type: 'integer' }, relayed: { type: 'integer' } } },
      },
    },
    metrics(registry) {
      registry.registerMetric(
        new Gauge({
          name: 'careledger_telehealth_chain_writes_pending',
          help: 'TelehealthRegistry writes decided but not yet on chain',
          collect() {
            this.set(backlog.pending);
          },
          registers: [],
        }),
      );
    },
  };
}

function unauthenticated(text: string): OperationOutcomeError {
  return new OperationOutcomeError({ ...unauthorized, issue: [{ severity: 'error', code: 'login', details: { text } }] });
}
