// The consult workflow's HTTP API under /telehealth, as one encapsulated fastify plugin. Every
// route is schema-first (telehealth-schemas.ts: validation, serialization and the OpenAPI document
// at GET /telehealth/openapi.json come from the same schemas). Who calls is decided per request
// (consult-callers.ts): the host's staff through SMART, the patient through their home node's
// patient session (or this node's patient token), another member's practitioner through a member
// JWT. Errors are OperationOutcomes with the status of their kind, as on the FHIR routes.
//
// Staff act for the provider side and the front desk; the patient takes their own steps (book,
// check in, arrive in the waiting room, cancel). The FHIR record itself (Schedule, Slot,
// Appointment, Encounter, AuditEvent) is read through the FHIR API like any resource.

import { OperationOutcomeError, badRequest, forbidden, notFound } from '@medplum/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { memberIdOf } from '../crypto/digest.js';
import { errorOutcome } from '../fhir/error-outcome.js';
import type { Hex } from '../ledger/ports.js';
import type { ResourceService } from '../store/service.js';
import type { ConsultCallers, LocalPatients } from './consult-callers.js';
import type { ConsultJoins } from './consult-joins.js';
import type { ConsultAction, ConsultState } from './consult-states.js';
import { PATIENT_SESSIONS_PATH } from './consults-elsewhere.js';
import { PATIENT_ASSERTION_MAX_LIFETIME_SECONDS, signPatientAssertion } from './patient-assertion.js';
import type { PatientConsults } from './patient-consults.js';
import type { Caller, SessionService } from './session-service.js';
import { TELEHEALTH_SCHEMAS } from './telehealth-schemas.js';
import type { VisitNoteDelivery } from './visit-note-delivery.js';

export const TELEHEALTH_PREFIX = '/telehealth';

export interface TelehealthRoutesOptions {
  service: SessionService;
  callers: ConsultCallers;
  joins: ConsultJoins;
  store: ResourceService;
  /** The visit note's writer and delivery to the home hospital (consult-messaging.ts). */
  visitNotes: Pick<VisitNoteDelivery, 'write'> | null;
  /** Patients this node holds by address (a note for the host's own patient goes in their compartment). */
  patientOf(address: Hex): Promise<string | null>;
  localPatients: LocalPatients;
  /** What a patient sees of their sessions here, with events and receipts. */
  consults: Pick<PatientConsults, 'hostedFor'>;
  self: { memberId: Hex; signerKey: string };
}

/** Actions with a route of their own and nothing in the body; admit carries the provider's licence key. */
const SIMPLE_ACTIONS: readonly ConsultAction[] = ['check-in', 'arrive', 'start', 'wrap-up', 'complete', 'cancel', 'no-show'];

type SessionRequest = FastifyRequest<{ Params: { sessionId: string } }>;

export function telehealthRoutes(options: TelehealthRoutesOptions) {
  const { service, callers, joins, store } = options;
  const S = TELEHEALTH_SCHEMAS;
  const update = { type: 'Encounter', interaction: 'update' } as const;
  const read = { type: 'Appointment', interaction: 'read' } as const;

  return async function routes(app: FastifyInstance): Promise<void> {
    app.setErrorHandler((error, request, reply) => {
      const mapped = errorOutcome(error, { bodyLimit: app.initialConfig.bodyLimit ?? 1024 * 1024 });
      if (mapped.unexpected) request.log.error({ err: error }, 'telehealth request failed');
      return reply.code(mapped.status).type('application/fhir+json').send(mapped.outcome);
    });

    app.post(`${TELEHEALTH_PREFIX}/schedules`, { schema: S.createSchedule }, async (request, reply) => {
      requireStaff(await callers.callerOf(request, { type: 'Schedule', interaction: 'create' }));
      const body = request.body as { practitioner: string; comment?: string };
      return reply.code(201).send(await service.booking.createSchedule(body.practitioner, body.comment));
    });

    app.post(`${TELEHEALTH_PREFIX}/schedules/:scheduleId/slots`, { schema: S.createSlot }, async (request, reply) => {
      requireStaff(await callers.callerOf(request, { type: 'Slot', interaction: 'create' }));
      const body = request.body as { start: string; end: string };
      return reply.code(201).send(await service.booking.createSlot((request.params as { scheduleId: string }).scheduleId, body.start, body.end));
    });

    app.get(`${TELEHEALTH_PREFIX}/slots`, { schema: S.listSlots }, async (request) => {
      const caller = await callers.callerOf(request, { type: 'Slot', interaction: 'search' });
      if (caller.kind === 'practitioner') throw refused('Slots are booked by patients and the host\'s staff');
      const query = request.query as { schedule?: string; count?: number };
      const params = [{ code: 'status', value: 'free' }, ...(query.schedule ? [{ code: 'schedule', value: `Schedule/${query.schedule}` }] : [])];
      const found = await store.search({ type: 'Slot', params, count: query.count ?? 50, offset: 0, summaryCount: false });
      return { slots: found.resources };
    });

    app.post(`${TELEHEALTH_PREFIX}/appointments`, { schema: S.book }, async (request, reply) => {
      const caller = await callers.callerOf(request, { type: 'Appointment', interaction: 'create' });
      const body = request.body as { slot: string; patient?: string; homeMember?: string; reason?: string };
      let patientAddress: Hex;
      let homeMember: Hex;
      if (caller.kind === 'patient') {
        if (body.patient !== undefined || body.homeMember !== undefined) {
          throw new OperationOutcomeError(badRequest('A patient books for themselves: leave out patient and homeMember', 'patient'));
        }
        ({ address: patientAddress, homeMember } = caller);
      } else {
        if (!body.patient || !body.homeMember) {
          throw new OperationOutcomeError(badRequest('Staff name the patient: {"patient": "<their address>", "homeMember": "<their hospital>"}', 'patient'));
        }
        patientAddress = body.patient.toLowerCase() as Hex;
        homeMember = memberIdFrom(body.homeMember);
      }
      const view = await service.book({ slotId: body.slot, patientAddress, homeMember, ...(body.reason ? { reason: body.reason } : {}) }, caller);
      return reply.code(201).send(view);
    });

    app.get(`${TELEHEALTH_PREFIX}/sessions`, { schema: S.listSessions }, async (request) => {
      const caller = await callers.callerOf(request, { type: 'Appointment', interaction: 'search' });
      const query = request.query as { state?: ConsultState; limit?: number };
      if (caller.kind === 'practitioner') throw refused('Invited practitioners open the sessions they are invited to by id');
      const sessions = await service.list({
        ...(query.state ? { states: [query.state] } : {}),
        ...(caller.kind === 'patient' ? { patientAddress: caller.address } : {}),
        ...(query.limit ? { limit: query.limit } : {}),
      });
      return { sessions: caller.kind === 'patient' ? sessions.filter((s) => s.homeMember === caller.homeMember) : sessions };
    });

    app.get(`${TELEHEALTH_PREFIX}/sessions/:sessionId`, { schema: S.showSession }, async (request: SessionRequest) =>
      service.viewFor(request.params.sessionId, await callers.callerOf(request, read)),
    );

    for (const action of SIMPLE_ACTIONS) {
      app.post(`${TELEHEALTH_PREFIX}/sessions/:sessionId/${action}`, { schema: { ...S.action, summary: `${action}: ${S.action.summary}` } }, async (request: SessionRequest) =>
        service.act(request.params.sessionId, action, await callers.callerOf(request, update)),
      );
    }

    app.post(`${TELEHEALTH_PREFIX}/sessions/:sessionId/admit`, { schema: S.admit }, async (request: SessionRequest) => {
      const caller = requireStaff(await callers.callerOf(request, update));
      return service.admit(request.params.sessionId, caller, ((request.body as { licenceSubject: string }).licenceSubject.toLowerCase()) as Hex);
    });

    app.post(`${TELEHEALTH_PREFIX}/sessions/:sessionId/invitations`, { schema: S.invite }, async (request: SessionRequest, reply) => {
      const caller = await callers.callerOf(request, update);
      const body = request.body as { member: string; practitioner: string; role: 'specialist' | 'second-opinion' | 'observer'; licenceSubject?: string };
      const invited = await service.invite(
        request.params.sessionId,
        { member: memberIdFrom(body.member), practitionerId: body.practitioner, role: body.role, ...(body.licenceSubject ? { licenceSubject: body.licenceSubject.toLowerCase() as Hex } : {}) },
        caller,
      );
      return reply.code(201).send(invited);
    });

    app.delete(`${TELEHEALTH_PREFIX}/sessions/:sessionId/invitations/:participantId`, { schema: S.withdraw }, async (request) => {
      const params = request.params as { sessionId: string; participantId: string };
      return service.withdraw(params.sessionId, params.participantId, await callers.callerOf(request, update));
    });

    app.post(`${TELEHEALTH_PREFIX}/sessions/:sessionId/escalations`, { schema: S.escalate }, async (request: SessionRequest, reply) => {
      const body = request.body as { severity: number; reason: string };
      const escalated = await service.escalate(request.params.sessionId, body.severity, body.reason, await callers.callerOf(request, update));
      return reply.code(201).send(escalated);
    });

    app.post(`${TELEHEALTH_PREFIX}/sessions/:sessionId/join-challenge`, { schema: S.joinChallenge }, async (request: SessionRequest) =>
      joins.challenge(request.params.sessionId, await callers.callerOf(request, read)),
    );

    app.post(`${TELEHEALTH_PREFIX}/sessions/:sessionId/join`, { schema: S.join }, async (request: SessionRequest) => {
      const body = (request.body ?? {}) as { holderProof?: { nonce: string; signature: string } };
      return joins.join(request.params.sessionId, await callers.callerOf(request, read), body.holderProof);
    });

    app.post(`${TELEHEALTH_PREFIX}/sessions/:sessionId/notification-token`, { schema: S.notificationToken }, async (request: SessionRequest) =>
      joins.notifications(request.params.sessionId, await callers.callerOf(request, read)),
    );

    app.post(`${TELEHEALTH_PREFIX}/sessions/:sessionId/visit-note`, { schema: S.visitNote }, async (request: SessionRequest, reply) => {
      requireStaff(await callers.callerOf(request, { type: 'DocumentReference', interaction: 'create' }));
      if (!options.visitNotes) throw new OperationOutcomeError(notFound);
      const session = await service.requireSession(request.params.sessionId);
      if (session.state !== 'wrapping-up' && session.state !== 'completed') {
        throw new OperationOutcomeError(badRequest(`The visit note is written at wrap-up or after completion; the consult is ${session.state}`));
      }
      const body = request.body as { text: string; contentType?: 'text/plain' | 'text/markdown' };
      const patientId = await options.patientOf(session.patientAddress);
      const written = await options.visitNotes.write({
        session: {
          encounter: `Encounter/${session.encounterId}`,
          patientReference: patientId ? `Patient/${patientId}` : null,
          patientAddress: session.patientAddress,
          homeMember: session.homeMember,
          consentGrantId: session.consentGrantId!,
        },
        practitionerId: session.practitionerId,
        text: body.text,
        ...(body.contentType ? { contentType: body.contentType } : {}),
      });
      return reply.code(201).send(written);
    });

    // The patient view at the home node asks this with a patient session it signed for the patient.
    app.get(PATIENT_SESSIONS_PATH, { schema: S.patientSessions }, async (request) => {
      const caller = await callers.callerOf(request, read);
      if (caller.kind !== 'patient') throw refused('This lists a patient\'s own consults: present the patient session from their home hospital');
      return { sessions: await options.consults.hostedFor(caller.address, caller.homeMember) };
    });

    app.post(`${TELEHEALTH_PREFIX}/patient-assertions`, { schema: S.patientAssertion }, async (request) => {
      const token = /^Bearer +(\S+) *$/i.exec(request.headers.authorization ?? '')?.[1];
      const patient = token ? await options.localPatients(token) : null;
      if (!patient) throw refused('A patient session for another hospital is issued to the patient themselves: use your patient access token');
      if (!patient.address) throw refused('You have no address on the ledger yet: grant the host hospital a consent first');
      const body = request.body as { audience: string; lifetimeSeconds?: number };
      const lifetime = body.lifetimeSeconds ?? 300;
      const { token: assertion } = signPatientAssertion(options.self.signerKey, {
        homeMember: options.self.memberId,
        patientAddress: patient.address,
        audience: body.audience,
        lifetimeSeconds: Math.min(lifetime, PATIENT_ASSERTION_MAX_LIFETIME_SECONDS),
      });
      return { token: assertion, token_type: 'Bearer', expires_in: lifetime, patient: patient.address };
    });
  };
}

function requireStaff(caller: Caller): Extract<Caller, { kind: 'staff' }> {
  if (caller.kind !== 'staff') throw refused('This is a step for the host\'s staff (a SMART client of this hospital)');
  return caller;
}

function memberIdFrom(value: string): Hex {
  return /^0x[0-9a-fA-F]{64}$/.test(value) ? (value.toLowerCase() as Hex) : memberIdOf(value);
}

function refused(text: string): OperationOutcomeError {
  return new OperationOutcomeError({ ...forbidden, issue: [{ severity: 'error', code: 'forbidden', details: { text } }] });
}
