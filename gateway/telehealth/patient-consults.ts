// What a patient sees of their telehealth consults at this node, for the patient view
// (GET /consent/patients/:patientId/telehealth-sessions): the sessions hosted here for their
// pseudonymous address, each with its events (the anchored AuditEvents of the session log, in
// order) and their receipts; the sessions other members hosted for them, as those hosts answer
// (consults-elsewhere.ts); and the visit notes other members' hosts delivered here, with theirs.
// Read-only; the caller (patient-routes.ts) has already checked who may see the patient.

import { OperationOutcomeError, getStatus } from '@medplum/core';
import type { Hex } from '../ledger/ports.js';
import { FHIR_BASE } from '../server/fhir-bases.js';
import type { FhirResource, ReceiptStatus, ResourceService } from '../store/service.js';
import type { TelehealthTables } from './telehealth-tables.js';

const MEMBER_SYSTEM = 'urn:careledger:member';
const MAX_SESSIONS = 200;

export interface ReceiptLink {
  /** Where the receipt is served: GET it with the patient's or staff's token. */
  url: string;
  status: 'anchored' | 'pending' | 'erased';
  /** The receipt itself, once anchored. */
  receipt?: unknown;
}

export interface PatientConsultEvent {
  auditEvent: string;
  code: string;
  recorded: string;
  outcome: string;
  receipt: ReceiptLink;
}

export interface PatientConsultSession {
  sessionKey: string;
  state: string;
  encounter: string;
  appointment: string;
  createdAt: string;
  updatedAt: string;
  events: PatientConsultEvent[];
}

export interface PatientVisitNote {
  documentReference: string;
  /** The member that hosted the consult. */
  hostMember: string;
  date: string | null;
  receipt: ReceiptLink;
}

/** A patient's sessions at another member's host, as that host answered (consults-elsewhere.ts). */
export interface HostedElsewhere {
  /** The host's member id (bytes32) and org id, as the ConsortiumRegistry holds them. */
  member: Hex;
  orgId: string;
  sessions: PatientConsultSession[];
}

/** A host that could not be asked or did not answer, and why. */
export interface UnavailableHost {
  member: Hex;
  reason: string;
}

/** Asks the other members' hosts for a patient's sessions there. */
export interface ConsultsAtOtherHosts {
  of(address: Hex): Promise<{ elsewhere: HostedElsewhere[]; unavailable: UnavailableHost[] }>;
}

export interface PatientConsultsView {
  patient: string;
  /** Sessions this node hosted for the patient, newest first. */
  hosted: PatientConsultSession[];
  /** Sessions other members hosted for the patient, per host, as each host answered just now. */
  elsewhere: HostedElsewhere[];
  /** Hosts that could not be asked or did not answer: their sessions are missing from `elsewhere`. */
  unavailable: UnavailableHost[];
  /** Visit notes of consults hosted by other members, delivered here as the patient's home hospital. */
  visitNotes: PatientVisitNote[];
}

export class PatientConsults {
  constructor(
    private readonly tables: Pick<TelehealthTables, 'sessions' | 'events'>,
    private readonly store: ResourceService,
    /** The other members' hosts to ask; without it the view shows what this node holds. */
    private readonly elsewhere?: ConsultsAtOtherHosts,
  ) {}

  async of(patientId: string, address: Hex | null): Promise<PatientConsultsView> {
    const [hosted, remote, visitNotes] = await Promise.all([
      address ? this.hostedFor(address) : [],
      address && this.elsewhere ? this.elsewhere.of(address) : { elsewhere: [], unavailable: [] },
      this.visitNotesOf(patientId),
    ]);
    return { patient: `Patient/${patientId}`, hosted, ...remote, visitNotes };
  }

  /**
   * The sessions hosted here for a patient address, newest first, with their events: what a
   * patient of another member sees at the host, authenticated by their home node's assertion.
   * With `homeMember`, only the sessions booked through that home member: one home hospital's
   * patient session never shows what the same address booked through another.
   */
  async hostedFor(address: Hex, homeMember?: Hex): Promise<PatientConsultSession[]> {
    const found = await this.tables.sessions({ patientAddress: address.toLowerCase() as Hex, limit: MAX_SESSIONS });
    const sessions = homeMember ? found.filter((session) => session.homeMember.toLowerCase() === homeMember.toLowerCase()) : found;
    return Promise.all(
      sessions.map(async (session) => ({
        sessionKey: session.sessionId,
        state: session.state,
        encounter: `Encounter/${session.encounterId}`,
        appointment: `Appointment/${session.appointmentId}`,
        createdAt: new Date(session.createdAt).toISOString(),
        updatedAt: new Date(session.updatedAt).toISOString(),
        events: await this.eventsOf(session.sessionId),
      })),
    );
  }

  private async eventsOf(sessionId: string): Promise<PatientConsultEvent[]> {
    const logged = await this.tables.events(sessionId);
    return Promise.all(
      logged.map(async ({ auditEventId, recordedAt }) => {
        const stored = await this.store.read('AuditEvent', auditEventId);
        const event = stored.resource as FhirResource & { code?: { coding?: Array<{ code?: string }> }; outcome?: { code?: { display?: string } } };
        return {
          auditEvent: `AuditEvent/${auditEventId}/_history/${stored.versionId}`,
          code: event.code?.coding?.[0]?.code ?? 'unknown',
          recorded: typeof event.recorded === 'string' ? event.recorded : new Date(recordedAt).toISOString(),
          outcome: event.outcome?.code?.display ?? 'Success',
          receipt: await this.receiptOf('AuditEvent', auditEventId, stored.versionId),
        };
      }),
    );
  }

  private async visitNotesOf(patientId: string): Promise<PatientVisitNote[]> {
    const found = await this.store.search({
      type: 'DocumentReference',
      params: [{ code: 'patient', value: `Patient/${patientId}` }],
      count: MAX_SESSIONS,
      offset: 0,
      summaryCount: false,
    });
    const notes: PatientVisitNote[] = [];
    for (const note of found.resources) {
      const host = hostOf(note);
      if (!host) continue;
      const version = note.meta?.versionId ?? '1';
      notes.push({
        documentReference: `DocumentReference/${note.id}/_history/${version}`,
        hostMember: host,
        date: typeof note.date === 'string' ? note.date : null,
        receipt: await this.receiptOf('DocumentReference', note.id!, version),
      });
    }
    return notes;
  }

  private async receiptOf(type: string, id: string, versionId: string): Promise<ReceiptLink> {
    const url = `${FHIR_BASE}/${type}/${id}/_history/${versionId}/$receipt`;
    let status: ReceiptStatus;
    try {
      status = await this.store.receipt(type, id, versionId);
    } catch (error) {
      if (error instanceof OperationOutcomeError && getStatus(error.outcome) === 410) return { url, status: 'erased' };
      throw error;
    }
    return status.status === 'anchored' ? { url, status: 'anchored', receipt: status.receipt } : { url, status: 'pending' };
  }
}

/** The host member of a delivered visit note (visit-note-inbox.ts names it as custodian), or null for any other document. */
function hostOf(note: FhirResource): string | null {
  const identifiers = (note.identifier as Array<{ system?: string }> | undefined) ?? [];
  const delivered = identifiers.some((identifier) => identifier.system?.startsWith(`${MEMBER_SYSTEM}:`) && identifier.system.endsWith(':DocumentReference'));
  const custodian = (note.custodian as { identifier?: { system?: string; value?: string } } | undefined)?.identifier;
  return delivered && custodian?.system === MEMBER_SYSTEM && custodian.value ? custodian.value : null;
}
