// Schedules, slots and bookings at the host. A booking holds its Slot in SQLite first (one row
// per slot: of two concurrent bookings exactly one inserts it), records the hold in FHIR
// (Slot busy-tentative), then confirms in one intake transaction: the Appointment and Encounter
// carrying the new session id, the Slot busy and the booking's AuditEvent. A failure after the
// hold gives the slot back. Every resource goes through intake, so each is anchored.

import { OperationOutcomeError, badRequest, conflict, getStatus, notFound } from '@medplum/core';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Hex } from '../ledger/ports.js';
import type { FhirResource, ResourceService, WriteResult } from '../store/service.js';
import { appointmentResource, encounterResource, scheduleResource, slotResource, slotWithStatus, type ConsultRecordInput } from './consult-records.js';
import type { SessionRow, TelehealthTables } from './telehealth-tables.js';

export interface BookingRequest {
  slotId: string;
  patientAddress: Hex;
  homeMember: Hex;
  /** Why the consult is booked, kept in the host's (sealed) Appointment only. */
  reason?: string;
}

export interface Booked {
  session: SessionRow;
  record: ConsultRecordInput;
  /** What the confirming transaction wrote: Appointment, Encounter, Slot, then the caller's extra resources. */
  written: WriteResult[];
}

/** A new opaque session id: 128 random bits, base64url (the sessionKey; never on chain). */
export function newSessionId(): string {
  return randomBytes(16).toString('base64url');
}

export class Booking {
  constructor(
    private readonly store: ResourceService,
    private readonly tables: TelehealthTables,
    private readonly now: () => number = Date.now,
  ) {}

  /** A Schedule for one of the host's active practitioners. */
  async createSchedule(practitionerId: string, comment?: string): Promise<FhirResource> {
    await this.requirePractitioner(practitionerId);
    return (await this.store.create(scheduleResource({ practitionerId, comment }))).resource;
  }

  async createSlot(scheduleId: string, start: string, end: string): Promise<FhirResource> {
    await this.practitionerOf(scheduleId);
    if (!(Date.parse(start) < Date.parse(end))) throw new OperationOutcomeError(badRequest('A slot must end after it starts', 'end'));
    return (await this.store.create(slotResource({ scheduleId, start, end }))).resource;
  }

  /**
   * Holds and confirms a slot for a new session; `extra(record)` adds resources to the confirming
   * transaction (the booking's AuditEvent). 409 when the slot is taken, nothing written.
   */
  async book(request: BookingRequest, extra: (record: ConsultRecordInput) => FhirResource[]): Promise<Booked> {
    const slot = await this.readOr404('Slot', request.slotId, 'No such slot at this hospital; list free slots with GET /telehealth/slots');
    if (slot.status !== 'free') throw new OperationOutcomeError(conflict(`Slot ${request.slotId} is ${String(slot.status)}, not free: choose another slot`));
    const scheduleId = /^Schedule\/(.+)$/.exec(String((slot.schedule as { reference?: string } | undefined)?.reference ?? ''))?.[1];
    if (!scheduleId) throw new OperationOutcomeError(conflict(`Slot ${request.slotId} names no Schedule of this hospital`));
    const practitionerId = await this.practitionerOf(scheduleId);

    const sessionId = newSessionId();
    const now = this.now();
    if (!(await this.tables.holdSlot(request.slotId, sessionId, now))) {
      throw new OperationOutcomeError(conflict(`Slot ${request.slotId} was just booked by someone else: choose another slot`));
    }
    let held = false;
    try {
      await this.store.update('Slot', request.slotId, slotWithStatus(slot, 'busy-tentative'));
      held = true;
      const record: ConsultRecordInput = {
        sessionId,
        appointmentId: randomUUID(),
        encounterId: randomUUID(),
        slotId: request.slotId,
        practitionerId,
        patientAddress: request.patientAddress,
        homeMember: request.homeMember,
        start: String(slot.start),
        end: String(slot.end),
        ...(request.reason ? { reason: request.reason } : {}),
      };
      const written = await this.store.transaction([
        { kind: 'update', type: 'Appointment', id: record.appointmentId, resource: appointmentResource(record, 'scheduled') },
        { kind: 'update', type: 'Encounter', id: record.encounterId, resource: encounterResource(record, 'scheduled', {}) },
        { kind: 'update', type: 'Slot', id: request.slotId, resource: slotWithStatus(slot, 'busy') },
        ...extra(record).map((resource) => ({ kind: 'create' as const, resource })),
      ]);
      const session: SessionRow = {
        sessionId,
        state: 'scheduled',
        version: 1,
        appointmentId: record.appointmentId,
        encounterId: record.encounterId,
        slotId: request.slotId,
        practitionerId,
        patientAddress: request.patientAddress,
        homeMember: request.homeMember,
        consentGrantId: null,
        endReason: null,
        createdAt: now,
        updatedAt: now,
      };
      await this.tables.insertSession(session);
      return { session, record, written };
    } catch (error) {
      if (held) await this.store.update('Slot', request.slotId, slotWithStatus(slot, 'free')).catch(() => undefined);
      await this.tables.releaseSlot(request.slotId, sessionId);
      throw error;
    }
  }

  /** Gives a cancelled consult's slot back: the hold is released with the Slot's status change. */
  async release(slotId: string, sessionId: string): Promise<void> {
    await this.tables.releaseSlot(slotId, sessionId);
  }

  private async practitionerOf(scheduleId: string): Promise<string> {
    const schedule = await this.readOr404('Schedule', scheduleId, `No Schedule/${scheduleId} at this hospital`);
    const actor = (schedule.actor as Array<{ reference?: string }> | undefined)?.find((a) => a.reference?.startsWith('Practitioner/'));
    if (!actor) throw new OperationOutcomeError(conflict(`Schedule/${scheduleId} names no Practitioner: a telehealth schedule belongs to one practitioner`));
    return actor.reference!.slice('Practitioner/'.length);
  }

  private async requirePractitioner(practitionerId: string): Promise<void> {
    const practitioner = await this.readOr404('Practitioner', practitionerId, `No Practitioner/${practitionerId} at this hospital: the EHR creates practitioners first`);
    if (practitioner.active === false) throw new OperationOutcomeError(conflict(`Practitioner/${practitionerId} is not active`));
  }

  private async readOr404(type: string, id: string, text: string): Promise<FhirResource> {
    try {
      return (await this.store.read(type, id)).resource;
    } catch (error) {
      if (error instanceof OperationOutcomeError && getStatus(error.outcome) < 500) {
        throw new OperationOutcomeError({ ...notFound, issue: [{ severity: 'error', code: 'not-found', details: { text } }] });
      }
      throw error;
    }
  }
}
