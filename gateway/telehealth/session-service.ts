// The consult workflow at the host. Every action answers at local speed: it is checked against
// the state machine (consult-states.ts) and live gates (consent from the chain's grants,
// licences, invitations), written to the FHIR record with its AuditEvent in one intake
// transaction (anchored like any resource), then committed to the session row together with the
// TelehealthRegistry writes it implies, which the chain outbox sends in the background. An
// illegal or refused action changes nothing. The service is also the relay's SessionGate (every
// join and re-join is checked against live state, never only against a token) and its
// EjectionFeed (revoked consent or licence, closed session).

import { OperationOutcomeError, badRequest, conflict, forbidden, notFound } from '@medplum/core';
import { concat, keccak256, toUtf8Bytes } from 'ethers';
import { randomBytes } from 'node:crypto';
import { practitionerHash } from '../consent/typed-data.js';
import { resourceDigest } from '../crypto/digest.js';
import { merkleRoot } from '../crypto/merkle.js';
import { TelehealthFinalState, TelehealthInviteRole, type Hex } from '../ledger/ports.js';
import type { ResourceService, WriteOp, WriteResult } from '../store/service.js';
import { Booking, type BookingRequest } from './booking.js';
import { queuedWrite, type ChainRejection } from './chain-outbox.js';
import type { ConsentCheck, ConsentGate } from './consent-gate.js';
import { consultAuditEvent, type ConsultAuditInput, type ConsultEventCode } from './consult-audit.js';
import { withAppointmentStatus, withEncounterStatus } from './consult-records.js';
import { FHIR_CODES, FINAL_STATES, LIVE_STATES, OPEN_STATES, actionsFrom, transition, type ConsultAction, type ConsultState } from './consult-states.js';
import type { ConsultNotifier, Ejection, EjectionFeed, GateDecision, GateRefusal, Participant, ParticipantRole, SessionGate } from './ports.js';
import type { ChainWriteKind, ParticipantRow, SessionRow, TelehealthTables } from './telehealth-tables.js';

/** Who calls: host staff (the provider side or the front desk), the patient, or another member's practitioner. */
export type Caller =
  | { kind: 'staff'; clientId: string }
  | { kind: 'patient'; address: Hex; homeMember: Hex }
  | { kind: 'practitioner'; member: Hex; orgId: string; practitionerId: string; practitionerHash: Hex };

/** A licence check of a practitioner's key at an instant (gateway/telehealth/licence-check.ts behind it). */
export type LicenceVerdict = (subject: Hex, atMs: number) => Promise<{ ok: true } | { ok: false; detail: string }>;

/** Whether a member is active and a hospital, from ConsortiumRegistry. */
export type HospitalMembership = (memberId: Hex) => Promise<boolean>;

export const CLINICAL_ROLES: ReadonlySet<ParticipantRole> = new Set(['provider', 'specialist', 'second-opinion']);
const INVITE_ROLE: Record<'specialist' | 'second-opinion' | 'observer', number> = {
  specialist: TelehealthInviteRole.SPECIALIST,
  'second-opinion': TelehealthInviteRole.SECOND_OPINION,
  observer: TelehealthInviteRole.OBSERVER,
};
const FINAL_ON_CHAIN: Partial<Record<ConsultState, number>> = {
  completed: TelehealthFinalState.COMPLETED,
  cancelled: TelehealthFinalState.CANCELLED,
  'no-show': TelehealthFinalState.NO_SHOW,
};
export const PATIENT_PARTICIPANT = 'patient';
export const PROVIDER_PARTICIPANT = 'provider';

export interface SessionServiceOptions {
  tables: TelehealthTables;
  store: ResourceService;
  consent: ConsentGate;
  licence: LicenceVerdict;
  isHospital: HospitalMembership;
  notifier: ConsultNotifier;
  self: { memberId: Hex; orgId: string };
  /** Brings the grant cache up to the chain's head (a check-in that found no grant asks once more). */
  refreshGrants?: () => Promise<void>;
  /** Wakes the chain outbox when writes were queued. */
  onQueued?: () => void;
  now?: () => number;
}

export interface SessionView {
  sessionId: string;
  state: ConsultState;
  appointment: string;
  encounter: string;
  slot: string;
  practitioner: string;
  patient: Hex;
  homeMember: Hex;
  consentGrantId: Hex | null;
  endReason: string | null;
  /** Actions open from this state. */
  next: ConsultAction[];
  participants: Array<{ participantId: string; role: ParticipantRole; member: Hex; status: string }>;
  chain: Array<{ kind: ChainWriteKind; status: string; txHash?: Hex; reason?: string }>;
}

export interface InviteRequest {
  member: Hex;
  practitionerId: string;
  role: 'specialist' | 'second-opinion' | 'observer';
  /** The practitioner's licence key; required for clinical roles. */
  licenceSubject?: Hex;
}

export class SessionService implements SessionGate, EjectionFeed {
  readonly booking: Booking;
  private readonly listeners = new Set<(ejection: Ejection) => void>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly now: () => number;

  constructor(private readonly options: SessionServiceOptions) {
    this.now = options.now ?? Date.now;
    this.booking = new Booking(options.store, options.tables, this.now);
  }

  // ---- the workflow ----

  async book(request: BookingRequest, caller: Caller): Promise<SessionView> {
    if (caller.kind === 'practitioner') throw forbiddenText('Another member\'s practitioner cannot book at this hospital; the patient or the host\'s staff books');
    if (caller.kind === 'patient' && (caller.address !== request.patientAddress || caller.homeMember !== request.homeMember)) {
      throw forbiddenText('A patient books only for themselves');
    }
    if (!(await this.options.isHospital(request.homeMember))) {
      throw new OperationOutcomeError(badRequest('The patient\'s home member is not an active hospital of the consortium', 'homeMember'));
    }
    const booked = await this.booking.book(request, (record) => [
      consultAuditEvent(this.audit('booked', record, caller)),
    ]);
    const auditEvent = booked.written[booked.written.length - 1]!;
    await this.logEvent(booked.session.sessionId, auditEvent);
    return this.view(booked.session.sessionId);
  }

  /** One state-machine action; 409 when illegal from the current state, 403 when refused by a gate. */
  act(sessionId: string, action: ConsultAction, caller: Caller): Promise<SessionView> {
    return this.locked(sessionId, async () => {
      const session = await this.requireSession(sessionId);
      const actor = this.actorOf(session, caller);
      const moved = transition(session.state, action, actor);
      if (!moved.ok) throw new OperationOutcomeError(conflict(moved.reason));

      const writes: Array<{ kind: ChainWriteKind; payload: string }> = [];
      let consentGrantId: Hex | undefined;
      if (action === 'check-in') {
        let consent = this.options.consent.findGrant(session.patientAddress, this.providerHash(session));
        if (!consent.ok && this.options.refreshGrants) {
          // A grant made a moment ago at the home hospital may be newer than the last poll: read the chain now.
          await this.options.refreshGrants();
          consent = this.options.consent.findGrant(session.patientAddress, this.providerHash(session));
        }
        if (!consent.ok) throw forbiddenText(consent.detail);
        consentGrantId = consent.grant.grantId;
        writes.push(queuedWrite({ kind: 'open', sessionIdHash: sessionIdHash(sessionId), homeMember: session.homeMember, patient: session.patientAddress, consentGrantId }));
        // Invitations made before check-in reach the chain right after the opening.
        for (const invited of await this.options.tables.participants(sessionId)) {
          if (invited.status === 'invited' && invited.role !== 'patient' && invited.role !== 'provider') writes.push(this.inviteWrite(sessionId, invited));
        }
      } else if (session.consentGrantId !== null && action !== 'admit' && action !== 'start') {
        // Every later step of a checked-in session re-checks the consent it relies on.
        const consent = this.options.consent.check(session.consentGrantId, session.patientAddress, this.providerHash(session));
        if (!consent.ok && !FINAL_STATES.has(moved.to)) throw forbiddenText(consent.detail);
      }
      if (action === 'admit' || action === 'start') await this.requireConsent(session);

      await this.record(session, moved.to, action, caller, { writes, ...(consentGrantId ? { consentGrantId } : {}) });
      return this.view(sessionId);
    });
  }

  /** The provider side admits the patient; also records the provider's licence key for the joins. */
  async admit(sessionId: string, caller: Caller, providerLicenceSubject: Hex): Promise<SessionView> {
    const verdict = await this.options.licence(providerLicenceSubject, this.now());
    if (!verdict.ok) throw forbiddenText(`The provider's licence does not allow a consult now: ${verdict.detail}`);
    const session = await this.requireSession(sessionId);
    const view = await this.act(sessionId, 'admit', caller);
    await this.options.tables.putParticipant({
      sessionId,
      participantId: PROVIDER_PARTICIPANT,
      role: 'provider',
      member: this.options.self.memberId,
      practitionerHash: this.providerHash(session),
      practitionerId: session.practitionerId,
      licenceSubject: providerLicenceSubject,
      status: 'invited',
      createdAt: this.now(),
    });
    this.options.notifier.notify(sessionId, PATIENT_PARTICIPANT, { kind: 'admitted', sessionId });
    this.options.notifier.notify(sessionId, null, { kind: 'provider-ready', sessionId });
    return view;
  }

  async invite(sessionId: string, request: InviteRequest, caller: Caller): Promise<{ participantId: string; session: SessionView }> {
    if (caller.kind !== 'staff') throw forbiddenText('Only the host\'s staff invites to a consult');
    if (request.role !== 'observer' && !request.licenceSubject) {
      throw new OperationOutcomeError(badRequest(`A ${request.role} joins only with a licence: give licenceSubject, the practitioner's licence key`, 'licenceSubject'));
    }
    if (!(await this.options.isHospital(request.member))) {
      throw new OperationOutcomeError(badRequest('The invited member is not an active hospital of the consortium', 'member'));
    }
    if (request.licenceSubject && request.role !== 'observer') {
      const verdict = await this.options.licence(request.licenceSubject, this.now());
      if (!verdict.ok) throw forbiddenText(`The invited practitioner's licence does not allow a consult now: ${verdict.detail}`);
    }
    const participantId = `p-${randomBytes(9).toString('base64url')}`;
    const view = await this.locked(sessionId, async () => {
      const session = await this.requireSession(sessionId);
      if (!OPEN_STATES.has(session.state)) throw new OperationOutcomeError(conflict(`Cannot invite to a consult that is ${session.state}`));
      const row: ParticipantRow = {
        sessionId,
        participantId,
        role: request.role,
        member: request.member,
        practitionerHash: practitionerHash(request.member, request.practitionerId),
        practitionerId: request.practitionerId,
        licenceSubject: request.role === 'observer' ? null : request.licenceSubject!,
        status: 'invited',
        createdAt: this.now(),
      };
      await this.recordEvent(session, 'invited', caller, { role: request.role, participant: participantId, 'invited-member': request.member });
      await this.options.tables.putParticipant(row);
      if (session.consentGrantId !== null) await this.queue(sessionId, [this.inviteWrite(sessionId, row)]);
      return this.view(sessionId);
    });
    this.options.notifier.notify(sessionId, participantId, { kind: 'invited', sessionId, role: request.role });
    return { participantId, session: view };
  }

  async withdraw(sessionId: string, participantId: string, caller: Caller): Promise<SessionView> {
    if (caller.kind !== 'staff') throw forbiddenText('Only the host\'s staff withdraws an invitation');
    const view = await this.locked(sessionId, async () => {
      const session = await this.requireSession(sessionId);
      const row = await this.options.tables.participant(sessionId, participantId);
      if (!row || row.role === 'provider' || row.role === 'patient') throw new OperationOutcomeError(notFound);
      if (row.status === 'withdrawn') return this.view(sessionId);
      await this.recordEvent(session, 'invitation-withdrawn', caller, { participant: participantId });
      await this.options.tables.setParticipantStatus(sessionId, participantId, 'withdrawn');
      if (session.consentGrantId !== null) {
        await this.queue(sessionId, [
          queuedWrite({ kind: 'withdraw', sessionIdHash: sessionIdHash(sessionId), invitedMember: row.member, practitionerHash: row.practitionerHash! }),
        ]);
      }
      return this.view(sessionId);
    });
    this.eject({ sessionId, participantId, refusal: 'invitation-withdrawn' });
    return view;
  }

  /** Severity 1 (lowest) to 5; the reason stays at the host, the chain gets its salted hash. */
  async escalate(sessionId: string, severity: number, reason: string, caller: Caller): Promise<{ reasonHash: Hex; session: SessionView }> {
    if (caller.kind !== 'staff') throw forbiddenText('The provider side escalates');
    if (!Number.isInteger(severity) || severity < 1 || severity > 5) throw new OperationOutcomeError(badRequest('severity is 1 (lowest) to 5', 'severity'));
    const salt = `0x${randomBytes(32).toString('hex')}` as Hex;
    const reasonHash = keccak256(concat([salt, toUtf8Bytes(reason)])) as Hex;
    const view = await this.locked(sessionId, async () => {
      const session = await this.requireSession(sessionId);
      if (!LIVE_STATES.has(session.state) && session.state !== 'checked-in') {
        throw new OperationOutcomeError(conflict(`Cannot escalate a consult that is ${session.state}: escalation is for a checked-in or running consult`));
      }
      await this.recordEvent(session, 'escalated', caller, { severity, reason, 'reason-salt': salt, 'reason-hash': reasonHash });
      await this.queue(sessionId, [queuedWrite({ kind: 'escalate', sessionIdHash: sessionIdHash(sessionId), severity, reasonHash })]);
      return this.view(sessionId);
    });
    this.options.notifier.notify(sessionId, null, { kind: 'escalation', sessionId, severity });
    return { reasonHash, session: view };
  }

  /**
   * Ends a session on the system's behalf (consent revoked, the chain refused its opening): it is
   * cancelled whatever its state, everyone is disconnected, and the close goes on chain unless
   * the opening never landed.
   */
  endSession(sessionId: string, reason: string, refusal: GateRefusal, closeOnChain: boolean): Promise<void> {
    return this.locked(sessionId, async () => {
      const session = await this.options.tables.session(sessionId);
      if (!session || FINAL_STATES.has(session.state)) return;
      await this.record(session, 'cancelled', 'ended', { kind: 'node' }, { writes: [], endReason: reason, closeOnChain, failure: reason, refusal });
    });
  }

  /** The outbox's report of a refused chain write. */
  async chainRejected(rejection: ChainRejection): Promise<void> {
    if (rejection.kind === 'open') {
      await this.endSession(rejection.sessionId, `the ledger refused the session's opening: ${rejection.reason}`, 'consent-revoked', false);
    }
    const session = await this.options.tables.session(rejection.sessionId);
    if (session) await this.recordEvent(session, 'chain-rejected', { kind: 'node' }, { write: rejection.kind, reason: rejection.reason }, `the ledger refused ${rejection.kind}: ${rejection.reason}`);
  }

  // ---- reads ----

  async view(sessionId: string): Promise<SessionView> {
    const session = await this.requireSession(sessionId);
    const participants = await this.options.tables.participants(sessionId);
    const writes = await this.options.tables.writesOf(sessionId);
    return {
      sessionId,
      state: session.state,
      appointment: `Appointment/${session.appointmentId}`,
      encounter: `Encounter/${session.encounterId}`,
      slot: `Slot/${session.slotId}`,
      practitioner: `Practitioner/${session.practitionerId}`,
      patient: session.patientAddress,
      homeMember: session.homeMember,
      consentGrantId: session.consentGrantId,
      endReason: session.endReason,
      next: actionsFrom(session.state),
      participants: participants.map((p) => ({ participantId: p.participantId, role: p.role, member: p.member, status: p.status })),
      chain: writes.map((w) => ({
        kind: w.kind,
        status: w.status,
        ...(w.status === 'sent' ? { txHash: w.txHash } : {}),
        ...(w.status === 'rejected' || w.status === 'skipped' ? { reason: w.reason } : {}),
      })),
    };
  }

  /** A caller's view of a session: the patient sees only theirs, another member's practitioner only those they are invited to. */
  async viewFor(sessionId: string, caller: Caller): Promise<SessionView> {
    const session = await this.requireSession(sessionId);
    await this.participantOf(session, caller);
    return this.view(sessionId);
  }

  async list(filter: { states?: ConsultState[]; patientAddress?: Hex; limit?: number }): Promise<SessionView[]> {
    const rows = await this.options.tables.sessions({ ...filter, limit: Math.min(filter.limit ?? 50, 200) });
    return Promise.all(rows.map((row) => this.view(row.sessionId)));
  }

  /** The participant a caller is in a session (403 when none), before any live check. */
  async participantOf(session: SessionRow, caller: Caller): Promise<Participant> {
    if (caller.kind === 'patient') {
      if (caller.address !== session.patientAddress || caller.homeMember !== session.homeMember) throw forbiddenText('This is not your consult');
      return this.participant(PATIENT_PARTICIPANT, 'patient', session.homeMember);
    }
    if (caller.kind === 'staff') return this.participant(PROVIDER_PARTICIPANT, 'provider', this.options.self.memberId);
    const invited = (await this.options.tables.participants(session.sessionId)).find(
      (row) => row.member === caller.member && row.practitionerHash === caller.practitionerHash && row.role !== 'provider',
    );
    if (!invited) throw forbiddenText('You are not invited to this consult');
    if (invited.status === 'withdrawn') throw forbiddenText('Your invitation to this consult was withdrawn');
    return this.participant(invited.participantId, invited.role, invited.member);
  }

  async requireSession(sessionId: string): Promise<SessionRow> {
    const session = await this.options.tables.session(sessionId);
    if (!session) throw new OperationOutcomeError({ ...notFound, issue: [{ severity: 'error', code: 'not-found', details: { text: 'No such consult session at this hospital' } }] });
    return session;
  }

  // ---- SessionGate and EjectionFeed ----

  async check(sessionId: string, participantId: string): Promise<GateDecision> {
    const session = await this.options.tables.session(sessionId);
    if (!session) return refuse('not-a-participant', 'no such session');
    if (FINAL_STATES.has(session.state)) return refuse('session-closed', `the consult is ${session.state}`);
    let row: ParticipantRow | null = null;
    let role: ParticipantRole;
    let member: Hex;
    if (participantId === PATIENT_PARTICIPANT) {
      role = 'patient';
      member = session.homeMember;
    } else {
      row = await this.options.tables.participant(sessionId, participantId);
      if (!row) return refuse(participantId === PROVIDER_PARTICIPANT ? 'not-admitted' : 'not-a-participant', 'not a participant of this consult');
      if (row.status === 'withdrawn') return refuse('invitation-withdrawn', 'the invitation was withdrawn');
      role = row.role;
      member = row.member;
    }
    if (session.state === 'scheduled' || session.state === 'checked-in' || (session.state === 'waiting' && role !== 'provider')) {
      return refuse('not-admitted', 'the provider has not admitted the patient yet');
    }
    if (session.consentGrantId === null) return refuse('consent-revoked', 'the consult relies on no consent');
    const consent = this.options.consent.check(session.consentGrantId, session.patientAddress, this.providerHash(session));
    if (!consent.ok) return refuse('consent-revoked', consent.detail);
    if (row && CLINICAL_ROLES.has(role)) {
      if (!row.licenceSubject) return refuse('licence-invalid', 'no licence key on record');
      const verdict = await this.options.licence(row.licenceSubject, this.now());
      if (!verdict.ok) return refuse('licence-invalid', verdict.detail);
    }
    return { ok: true, participant: this.participant(participantId, role, member) };
  }

  onEjection(listener: (ejection: Ejection) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  eject(ejection: Ejection): void {
    for (const listener of this.listeners) listener(ejection);
  }

  /** Whether the consent a checked-in session relies on still holds. */
  consentStanding(session: SessionRow): ConsentCheck {
    if (session.consentGrantId === null) return { ok: false, refusal: 'no-grant', detail: 'The consult relies on no consent' };
    return this.options.consent.check(session.consentGrantId, session.patientAddress, this.providerHash(session));
  }

  /** Sessions whose participants may be connected, for the revocation watch. */
  liveSessions(): Promise<SessionRow[]> {
    return this.options.tables.sessions({ states: [...LIVE_STATES, 'checked-in'], limit: 10_000 });
  }

  /** The licensed participants of a session (clinical roles with a standing invitation). */
  async licensedParticipants(sessionId: string): Promise<ParticipantRow[]> {
    return (await this.options.tables.participants(sessionId)).filter((row) => row.status === 'invited' && CLINICAL_ROLES.has(row.role) && row.licenceSubject);
  }

  /** Records a session event (a join token issued, a refused join) as an anchored AuditEvent. */
  async recordJoinEvent(sessionId: string, code: 'join-token-issued' | 'join-refused', caller: Caller, details: Record<string, string | number>, failure?: string): Promise<void> {
    const session = await this.requireSession(sessionId);
    await this.recordEvent(session, code, caller, details, failure);
  }

  // ---- internals ----

  private participant(participantId: string, role: ParticipantRole, member: Hex): Participant {
    return { participantId, role, member, permissions: { publish: role !== 'observer', chat: role !== 'observer' } };
  }

  private actorOf(session: SessionRow, caller: Caller): 'patient' | 'provider' | 'staff' {
    if (caller.kind === 'staff') return 'staff';
    if (caller.kind === 'patient') {
      if (caller.address !== session.patientAddress || caller.homeMember !== session.homeMember) throw forbiddenText('This is not your consult');
      return 'patient';
    }
    throw forbiddenText('Invited practitioners take part in a consult; the host\'s provider and the patient move it');
  }

  private async requireConsent(session: SessionRow): Promise<void> {
    if (session.consentGrantId === null) throw forbiddenText('The consult relies on no consent');
    const consent = this.options.consent.check(session.consentGrantId, session.patientAddress, this.providerHash(session));
    if (!consent.ok) throw forbiddenText(consent.detail);
  }

  private providerHash(session: SessionRow): Hex {
    return practitionerHash(this.options.self.memberId, session.practitionerId);
  }

  private inviteWrite(sessionId: string, row: ParticipantRow) {
    return queuedWrite({
      kind: 'invite',
      sessionIdHash: sessionIdHash(sessionId),
      invitedMember: row.member,
      practitionerHash: row.practitionerHash!,
      role: INVITE_ROLE[row.role as keyof typeof INVITE_ROLE],
    });
  }

  /**
   * Writes the new state to the FHIR record with its AuditEvent (one intake transaction), then
   * the session row with its chain writes (one SQLite transaction); notifies and ejects after.
   */
  private async record(
    session: SessionRow,
    to: ConsultState,
    code: ConsultAction | 'ended',
    caller: Caller | { kind: 'node' },
    extra: { writes: Array<{ kind: ChainWriteKind; payload: string }>; consentGrantId?: Hex; endReason?: string; closeOnChain?: boolean; failure?: string; refusal?: GateRefusal },
  ): Promise<void> {
    const { store, tables } = this.options;
    const nowIso = new Date(this.now()).toISOString();
    const [appointment, encounter] = await Promise.all([store.read('Appointment', session.appointmentId), store.read('Encounter', session.encounterId)]);
    const ops: WriteOp[] = [
      { kind: 'update', type: 'Appointment', id: session.appointmentId, resource: withAppointmentStatus(appointment.resource, to) },
      { kind: 'update', type: 'Encounter', id: session.encounterId, resource: withEncounterStatus(encounter.resource, to, nowIso) },
    ];
    if (FHIR_CODES[to].slot === 'free') {
      const slot = await store.read('Slot', session.slotId);
      const { meta: _meta, ...content } = slot.resource;
      ops.push({ kind: 'update', type: 'Slot', id: session.slotId, resource: { ...content, status: 'free' } });
    }
    const auditCode: ConsultEventCode = code;
    ops.push({
      kind: 'create',
      resource: consultAuditEvent(this.audit(auditCode, session, caller, { state: to, ...(extra.endReason ? { 'end-reason': extra.endReason } : {}) }, extra.failure)),
    });
    const written = await store.transaction(ops);
    const auditEvent = written[written.length - 1]!;
    const event = { auditEventId: auditEvent.resource.id!, digest: digestHex(auditEvent) };

    const writes = [...extra.writes];
    const opened = session.consentGrantId !== null || extra.consentGrantId !== undefined;
    if (FINAL_STATES.has(to) && opened && extra.closeOnChain !== false) {
      const eventLogRoot = await this.eventLogRoot(session.sessionId, event.digest);
      writes.push(queuedWrite({ kind: 'close', sessionIdHash: sessionIdHash(session.sessionId), finalState: FINAL_ON_CHAIN[to]!, eventLogRoot }));
    }
    const committed = await tables.commitTransition({
      sessionId: session.sessionId,
      fromVersion: session.version,
      state: to,
      now: this.now(),
      event,
      writes,
      ...(extra.consentGrantId ? { consentGrantId: extra.consentGrantId } : {}),
      ...(extra.endReason ? { endReason: extra.endReason } : {}),
    });
    // The per-session lock makes this unreachable in one process; it guards a second one on the same data.
    if (!committed) throw new OperationOutcomeError(conflict('The consult changed meanwhile; reload it and try again'));
    if (FHIR_CODES[to].slot === 'free') await this.booking.release(session.slotId, session.sessionId);
    if (writes.length > 0) this.options.onQueued?.();
    this.notifyTransition(session, to, extra.refusal ?? 'session-closed');
  }

  /** `refusal`: why participants are disconnected when the session ends (the relay's close code: 4410 for a revoked consent, not 4409). */
  private notifyTransition(session: SessionRow, to: ConsultState, refusal: GateRefusal): void {
    const { notifier } = this.options;
    if (to === 'waiting') notifier.notify(session.sessionId, PROVIDER_PARTICIPANT, { kind: 'waiting-room', sessionId: session.sessionId, waiting: 1 });
    if (FINAL_STATES.has(to)) {
      notifier.notify(session.sessionId, null, { kind: 'ended', sessionId: session.sessionId, state: to });
      this.eject({ sessionId: session.sessionId, participantId: null, refusal });
    }
  }

  private async recordEvent(session: SessionRow, code: ConsultEventCode, caller: Caller | { kind: 'node' }, details: Record<string, string | number>, failure?: string): Promise<void> {
    const written = await this.options.store.create(consultAuditEvent(this.audit(code, session, caller, details, failure)));
    // The log closes with the session: its root is on chain. Later events (a refused join) are
    // still anchored AuditEvents, only outside the closed log.
    if (!FINAL_STATES.has(session.state)) await this.logEvent(session.sessionId, written);
  }

  private async logEvent(sessionId: string, written: WriteResult): Promise<void> {
    await this.options.tables.appendEvent(sessionId, written.resource.id!, digestHex(written), this.now());
  }

  private async queue(sessionId: string, writes: Array<{ kind: ChainWriteKind; payload: string }>): Promise<void> {
    await this.options.tables.queueWrites(sessionId, writes, this.now());
    this.options.onQueued?.();
  }

  /** RFC 6962 root over the digests of the session's AuditEvents in the order they were logged (and `next`, about to be). */
  async eventLogRoot(sessionId: string, next?: Hex): Promise<Hex> {
    const digests = [...(await this.options.tables.events(sessionId)).map((event) => event.digest), ...(next ? [next] : [])];
    if (digests.length === 0) return `0x${'0'.repeat(64)}` as Hex;
    return `0x${merkleRoot(digests.map((digest) => Buffer.from(digest.slice(2), 'hex'))).toString('hex')}` as Hex;
  }

  private audit(
    code: ConsultEventCode,
    record: { sessionId: string; encounterId: string; appointmentId: string; patientAddress: string },
    caller: Caller | { kind: 'node' },
    details?: Record<string, string | number>,
    failure?: string,
  ): ConsultAuditInput {
    const actor: ConsultAuditInput['actor'] =
      caller.kind === 'practitioner'
        ? { kind: 'practitioner', member: caller.member, practitionerId: caller.practitionerId }
        : caller.kind === 'staff'
          ? { kind: 'staff', clientId: caller.clientId }
          : caller.kind === 'patient'
            ? { kind: 'patient' }
            : { kind: 'node' };
    return {
      code,
      recorded: new Date(this.now()),
      sessionId: record.sessionId,
      encounterId: record.encounterId,
      appointmentId: record.appointmentId,
      patientAddress: record.patientAddress,
      actor,
      host: this.options.self,
      ...(details ? { details } : {}),
      ...(failure ? { failure } : {}),
    };
  }

  /** Runs `work` after every earlier call for the same session: one transition at a time per session. */
  private locked<T>(sessionId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(sessionId) ?? Promise.resolve();
    const next = previous.then(work, work);
    const tail = next.catch(() => undefined);
    this.locks.set(sessionId, tail);
    void tail.then(() => {
      if (this.locks.get(sessionId) === tail) this.locks.delete(sessionId);
    });
    return next;
  }
}

/** keccak256 of the opaque session id: what the chain knows a session by. */
export function sessionIdHash(sessionId: string): Hex {
  return keccak256(toUtf8Bytes(sessionId)) as Hex;
}

function digestHex(written: WriteResult): Hex {
  return `0x${resourceDigest(written.resource).toString('hex')}` as Hex;
}

function refuse(refusal: GateRefusal, detail: string): GateDecision {
  return { ok: false, refusal, detail };
}

function forbiddenText(text: string): OperationOutcomeError {
  return new OperationOutcomeError({ ...forbidden, issue: [{ severity: 'error', code: 'forbidden', details: { text } }] });
}
