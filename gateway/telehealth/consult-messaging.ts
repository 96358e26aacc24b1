// The consult's records after and around the call, assembled for the telehealth capability:
// chat and files (consult-messages.ts and their routes), the retention purge, the visit note's
// delivery to the home hospital (host side) and its inbox (home side). The capability passes in
// what the workflow owns (the live gate, the notifier, who a participant is, the session rows)
// and mounts `routes`, calls `start` and `stop`; `visitNotes.write` is what its visit-note route
// calls once the provider has written the note.

import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
import type { MemberPrincipal } from '../consent/member-authenticator.js';
import type { TelehealthRecordsConfig } from '../config.js';
import type { ConsentGrantRecord, Hex } from '../ledger/ports.js';
import type { SealingVault } from '../store/ports.js';
import type { ResourceService } from '../store/service.js';
import { consultMessageRoutes } from './consult-message-routes.js';
import { type ConsultMessageTable, ConsultMessages, contextsFromSessions } from './consult-messages.js';
import type { ConsultNotifier, SessionGate } from './ports.js';
import { type RecordsLog, type RetentionPurge, type RetentionSource, consultationRetentionSource, createRetentionPurge } from './retention-purge.js';
import type { TelehealthTables } from './telehealth-tables.js';
import { VisitNoteDelivery, type VisitNoteOutbox } from './visit-note-delivery.js';
import { visitNoteInbox } from './visit-note-inbox.js';

export interface ConsultMessagingOptions {
  /** gateway/store/consult-message-store.ts (openConsultMessageStore). */
  tables: { messages: ConsultMessageTable; outbox: VisitNoteOutbox };
  sessions: Pick<TelehealthTables, 'session'>;
  vault: SealingVault;
  store: ResourceService;
  config: TelehealthRecordsConfig;
  self: { memberId: Hex; orgId: string; signerKey: string };
  gate: SessionGate;
  notifier: ConsultNotifier;
  /** The caller's participant id in a session, from the workflow's participant credential; 401 otherwise. */
  participantOf(request: FastifyRequest, sessionId: string): Promise<string>;
  /** Member JWTs (a MemberAuthenticator), for the visit-note inbox. */
  authenticateMember(authorization: string | undefined): Promise<MemberPrincipal>;
  consents: { getGrant(grantId: Hex): Promise<ConsentGrantRecord | null> };
  /** Patients this node holds, by pseudonymous address. */
  patients: { patientOf(address: Hex): string | null | Promise<string | null> };
  /** Other channels' retention sources (audit, escalations, notifications), purged beside the consultation's. */
  retentionSources?: readonly RetentionSource[];
}

export interface ConsultMessaging {
  messages: ConsultMessages;
  visitNotes: VisitNoteDelivery;
  purge: RetentionPurge;
  routes(app: FastifyInstance): Promise<void>;
  start(log: FastifyBaseLogger): void;
  stop(): Promise<void>;
}

export function openConsultMessaging(options: ConsultMessagingOptions): ConsultMessaging {
  let log: FastifyBaseLogger | undefined;
  const logger: RecordsLog = {
    warn: (details, message) => log?.warn(details, message),
    info: (details, message) => log?.info(details, message),
  };
  const { retention } = options.config;
  const messages = new ConsultMessages({
    table: options.tables.messages,
    vault: options.vault,
    store: options.store,
    gate: options.gate,
    contexts: contextsFromSessions(options.sessions, options.patients),
    notifier: options.notifier,
    retention: retention.periods.consultation,
  });
  const visitNotes = new VisitNoteDelivery({
    outbox: options.tables.outbox,
    store: options.store,
    self: options.self,
    homeUrlOf: (member) => options.config.memberUrls[member.toLowerCase()] ?? null,
    log: logger,
  });
  const purge = createRetentionPurge({
    sources: [consultationRetentionSource(options.tables.messages), ...(options.retentionSources ?? [])],
    policy: retention,
    store: options.store,
    node: options.self,
    log: logger,
  });

  return {
    messages,
    visitNotes,
    purge,
    async routes(app) {
      await app.register(consultMessageRoutes({ messages, participantOf: options.participantOf }));
      await app.register(
        visitNoteInbox({ authenticate: options.authenticateMember, consents: options.consents, patients: options.patients, store: options.store }),
      );
    },
    start(appLog) {
      log = appLog;
      visitNotes.start();
      purge.start();
    },
    async stop() {
      await purge.stop();
      await visitNotes.stop();
    },
  };
}
