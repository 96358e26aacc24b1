import { OperationOutcomeError, getStatus } from '@medplum/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HOME, HOST, PATIENT, openConsultFixture, type ConsultFixture } from '../../test/support/consult-fixture.js';
import type { Hex } from '../ledger/ports.js';
import type { Caller } from './session-service.js';

const staff: Caller = { kind: 'staff', clientId: 'front-desk' };
const patient: Caller = { kind: 'patient', address: PATIENT, homeMember: HOME };
const LICENCE_KEY = '0x2222222222222222222222222222222222222222' as Hex;
const SPECIALIST_KEY = '0x3333333333333333333333333333333333333333' as Hex;

async function statusOf(work: Promise<unknown>): Promise<number> {
  try {
    await work;
    return 200;
  } catch (error) {
    if (error instanceof OperationOutcomeError) return getStatus(error.outcome);
    throw error;
  }
}

describe('the consult workflow at the host', () => {
  let f: ConsultFixture;
  const revokedKeys = new Set<Hex>();
  beforeEach(async () => {
    revokedKeys.clear();
    f = await openConsultFixture({ licence: async (subject) => (revokedKeys.has(subject) ? { ok: false, detail: 'revoked' } : { ok: true }) });
  });
  afterEach(() => f.close());

  const book = (slotId: string, caller: Caller = staff) => f.service.book({ slotId, patientAddress: PATIENT, homeMember: HOME }, caller);

  it('runs a consult from booking to completion, writing the FHIR record and its chain writes in order', async () => {
    const [slot] = await f.slots('dr-host', 1);
    const booked = await book(slot!, patient);
    expect(booked.state).toBe('scheduled');
    expect(booked.sessionId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const slotAfterBooking = (await f.store.read('Slot', slot!)).resource;
    expect(slotAfterBooking.status).toBe('busy');
    expect((await f.store.history('Slot', slot!)).map((v) => v.resource.status)).toEqual(['busy', 'busy-tentative', 'free']);

    const grantId = f.grant();
    const { participantId } = await f.service.invite(booked.sessionId, { member: HOME, practitionerId: 'dr-spec', role: 'specialist', licenceSubject: SPECIALIST_KEY }, staff);
    expect((await f.service.act(booked.sessionId, 'check-in', patient)).consentGrantId).toBe(grantId);
    await f.service.act(booked.sessionId, 'arrive', patient);
    expect(f.notices.some((n) => n.notice.kind === 'waiting-room')).toBe(true);
    await f.service.admit(booked.sessionId, staff, LICENCE_KEY);
    expect(f.notices.filter((n) => n.notice.kind === 'admitted')).toHaveLength(1);
    await f.service.act(booked.sessionId, 'start', staff);
    const escalated = await f.service.escalate(booked.sessionId, 4, 'suspected sepsis, send to ED', staff);
    expect(escalated.reasonHash).toMatch(/^0x[0-9a-f]{64}$/);
    await f.service.act(booked.sessionId, 'wrap-up', staff);
    const done = await f.service.act(booked.sessionId, 'complete', staff);
    expect(done.state).toBe('completed');
    expect(done.chain.map((w) => w.kind)).toEqual(['open', 'invite', 'escalate', 'close']);
    expect(done.participants.map((p) => p.role).sort()).toEqual(['provider', 'specialist']);
    expect(participantId).toMatch(/^p-/);

    const appointment = (await f.store.read('Appointment', done.appointment.split('/')[1]!)).resource as any;
    const encounter = (await f.store.read('Encounter', done.encounter.split('/')[1]!)).resource as any;
    expect(appointment.status).toBe('fulfilled');
    expect(appointment.virtualService[0].sessionKey).toBe(booked.sessionId);
    expect(encounter.status).toBe('completed');
    expect(encounter.class[0].coding[0].code).toBe('VR');
    expect(encounter.virtualService[0].sessionKey).toBe(booked.sessionId);
    expect(encounter.actualPeriod.start).toBeDefined();
    expect(encounter.actualPeriod.end).toBeDefined();
    const encounterStates = (await f.store.history('Encounter', encounter.id)).map((v) => v.resource.status).reverse();
    // Steps that leave a resource unchanged store no new version of it.
    expect(encounterStates).toEqual(['planned', 'in-progress', 'discharged', 'completed']);
    const appointmentStates = (await f.store.history('Appointment', appointment.id)).map((v) => v.resource.status).reverse();
    expect(appointmentStates).toEqual(['booked', 'checked-in', 'arrived', 'fulfilled']);

    // Every step is an AuditEvent, and the close carries the root over their digests.
    const events = await f.tables.events(booked.sessionId);
    expect(events.length).toBe(9);
    const close = (await f.tables.pendingWrites(10)).find((w) => w.kind === 'close')!;
    expect(JSON.parse(close.payload).eventLogRoot).toBe(await f.service.eventLogRoot(booked.sessionId));
    expect(f.notices.at(-1)!.notice).toEqual({ kind: 'ended', sessionId: booked.sessionId, state: 'completed' });
  });

  it('lets exactly one of two concurrent bookings of one slot succeed', async () => {
    const [slot] = await f.slots('dr-race', 1);
    const results = await Promise.allSettled([book(slot!), book(slot!)]);
    const ok = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(ok).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(getStatus((refused[0]!.reason as OperationOutcomeError).outcome)).toBe(409);
    expect(await f.tables.sessions({ limit: 10 })).toHaveLength(1);
    expect((await f.store.read('Slot', slot!)).resource.status).toBe('busy');
  });

  it('refuses an illegal transition with 409 and changes nothing', async () => {
    const [slot] = await f.slots('dr-illegal', 1);
    const booked = await book(slot!);
    const journal = f.journalSize();
    const version = (await f.tables.session(booked.sessionId))!.version;
    expect(await statusOf(f.service.act(booked.sessionId, 'complete', staff))).toBe(409);
    expect(await statusOf(f.service.act(booked.sessionId, 'admit', staff))).toBe(409);
    expect(await statusOf(f.service.act(booked.sessionId, 'arrive', patient))).toBe(409);
    expect(f.journalSize()).toBe(journal);
    expect((await f.tables.session(booked.sessionId))!.version).toBe(version);
    expect(await f.tables.pendingWrites(10)).toEqual([]);
  });

  it('refuses check-in without consent (403), storing nothing and queueing nothing for the chain', async () => {
    const [slot] = await f.slots('dr-noconsent', 1);
    const booked = await book(slot!);
    const journal = f.journalSize();
    expect(await statusOf(f.service.act(booked.sessionId, 'check-in', patient))).toBe(403);
    f.grant({ granteeMember: HOME });
    expect(await statusOf(f.service.act(booked.sessionId, 'check-in', patient))).toBe(403);
    f.grant({ purposes: 4 });
    expect(await statusOf(f.service.act(booked.sessionId, 'check-in', patient))).toBe(403);
    expect(f.journalSize()).toBe(journal);
    expect((await f.tables.session(booked.sessionId))!.state).toBe('scheduled');
    expect(await f.tables.pendingWrites(10)).toEqual([]);
  });

  it('keeps patients to their own consults and other members\' practitioners out of the workflow', async () => {
    const [slot] = await f.slots('dr-own', 1);
    const booked = await book(slot!);
    f.grant();
    const stranger: Caller = { kind: 'patient', address: '0x9999999999999999999999999999999999999999', homeMember: HOME };
    expect(await statusOf(f.service.act(booked.sessionId, 'check-in', stranger))).toBe(403);
    const practitioner: Caller = { kind: 'practitioner', member: HOME, orgId: 'x', practitionerId: 'dr-x', practitionerHash: `0x${'5'.repeat(64)}` };
    expect(await statusOf(f.service.act(booked.sessionId, 'check-in', practitioner))).toBe(403);
    expect(await statusOf(f.service.act(booked.sessionId, 'admit', patient))).toBe(409);
    expect(await statusOf(book(slot!, stranger))).toBe(403);
  });

  it('gates every join on live state: admission, invitation, consent and licence', async () => {
    const [slot] = await f.slots('dr-gate', 1);
    const booked = await book(slot!);
    const id = booked.sessionId;
    const grantId = f.grant();
    const { participantId: spec } = await f.service.invite(id, { member: HOME, practitionerId: 'dr-spec', role: 'specialist', licenceSubject: SPECIALIST_KEY }, staff);
    const { participantId: observer } = await f.service.invite(id, { member: HOME, practitionerId: 'student', role: 'observer' }, staff);
    await f.service.act(id, 'check-in', patient);
    expect(await f.service.check(id, 'patient')).toMatchObject({ ok: false, refusal: 'not-admitted' });
    await f.service.act(id, 'arrive', patient);
    expect(await f.service.check(id, 'patient')).toMatchObject({ ok: false, refusal: 'not-admitted' });
    await f.service.admit(id, staff, LICENCE_KEY);
    expect(await f.service.check(id, 'patient')).toMatchObject({ ok: true, participant: { role: 'patient', member: HOME } });
    expect(await f.service.check(id, 'provider')).toMatchObject({ ok: true, participant: { role: 'provider', member: HOST } });
    expect(await f.service.check(id, spec)).toMatchObject({ ok: true, participant: { role: 'specialist', permissions: { publish: true } } });
    expect(await f.service.check(id, observer)).toMatchObject({ ok: true, participant: { role: 'observer', permissions: { publish: false } } });
    expect(await f.service.check(id, 'p-nobody')).toMatchObject({ ok: false, refusal: 'not-a-participant' });

    revokedKeys.add(SPECIALIST_KEY);
    expect(await f.service.check(id, spec)).toMatchObject({ ok: false, refusal: 'licence-invalid' });
    expect(await f.service.check(id, observer)).toMatchObject({ ok: true });

    const ejected: unknown[] = [];
    f.service.onEjection((e) => ejected.push(e));
    await f.service.withdraw(id, observer, staff);
    expect(await f.service.check(id, observer)).toMatchObject({ ok: false, refusal: 'invitation-withdrawn' });
    expect(ejected).toEqual([{ sessionId: id, participantId: observer, refusal: 'invitation-withdrawn' }]);

    f.revoke(grantId);
    expect(await f.service.check(id, 'patient')).toMatchObject({ ok: false, refusal: 'consent-revoked' });
    await f.service.endSession(id, 'the patient revoked their consent', 'consent-revoked', true);
    expect(ejected.at(-1)).toEqual({ sessionId: id, participantId: null, refusal: 'consent-revoked' });
    expect(await f.service.check(id, 'provider')).toMatchObject({ ok: false, refusal: 'session-closed' });
    const view = await f.service.view(id);
    expect(view.state).toBe('cancelled');
    expect(view.endReason).toMatch(/revoked/);
    expect(view.chain.map((w) => w.kind)).toEqual(['open', 'invite', 'invite', 'withdraw', 'close']);
    expect((await f.store.read('Slot', slot!)).resource.status).toBe('free');
  });

  it('gives a cancelled slot back, so it can be booked again', async () => {
    const [slot] = await f.slots('dr-cancel', 1);
    const first = await book(slot!);
    const cancelled = await f.service.act(first.sessionId, 'cancel', patient);
    expect(cancelled.state).toBe('cancelled');
    // Never checked in: nothing was opened on chain, so nothing is closed there either.
    expect(cancelled.chain).toEqual([]);
    expect((await f.store.read('Slot', slot!)).resource.status).toBe('free');
    expect((await book(slot!)).state).toBe('scheduled');
  });

  it('ends a session whose opening the ledger refused, without a close on chain', async () => {
    const [slot] = await f.slots('dr-reject', 1);
    const booked = await book(slot!);
    f.grant();
    await f.service.act(booked.sessionId, 'check-in', patient);
    await f.service.chainRejected({ sessionId: booked.sessionId, kind: 'open', reason: 'ConsentRevoked' });
    const view = await f.service.view(booked.sessionId);
    expect(view.state).toBe('cancelled');
    expect(view.endReason).toContain('ConsentRevoked');
    expect(view.chain.map((w) => w.kind)).toEqual(['open']);
  });
});
