// The patient view of telehealth consults on a real node: the patient (with the access token
// staff issued them) sees the sessions this node hosted for their address, each event of the
// session log with its receipt once anchored; someone else's token sees nothing of it.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hex } from '../ledger/ports.js';
import { openTelehealthTables } from '../store/telehealth-store.js';
import { eventually } from '../../test/support/eventually.js';
import { startTestNode, type TestNode } from '../../test/support/test-node.js';
import { consultAuditEvent } from './consult-audit.js';

const SESSION = 'sess-view-0123456789abcdef';

describe('the patient view of telehealth consults', () => {
  let node: TestNode;
  let address: Hex;
  const staff = () => ({ authorization: `Bearer ${node.token}` });
  const patientToken = async (patientId: string) =>
    (await node.app.inject({ method: 'POST', url: `/consent/patients/${patientId}/session`, headers: staff() })).json().access_token as string;

  beforeAll(async () => {
    node = await startTestNode();
    for (const id of ['pv-p', 'pv-other']) await node.store.update('Patient', id, { resourceType: 'Patient', id, gender: 'other' });
    const key = await node.app.inject({ method: 'POST', url: '/consent/patients/pv-p/custodial-key', headers: staff() });
    address = key.json().address;
    const tables = openTelehealthTables(node.db);
    const now = Date.now();
    await tables.insertSession({
      sessionId: SESSION,
      state: 'completed',
      version: 3,
      appointmentId: 'pv-appt',
      encounterId: 'pv-enc',
      slotId: 'pv-slot',
      practitionerId: 'dr-view',
      patientAddress: address,
      homeMember: node.chain.memberId,
      consentGrantId: null,
      endReason: null,
      createdAt: now,
      updatedAt: now,
    });
    for (const code of ['booked', 'check-in', 'complete'] as const) {
      const written = await node.store.create(
        consultAuditEvent({
          code,
          recorded: new Date(),
          sessionId: SESSION,
          encounterId: 'pv-enc',
          appointmentId: 'pv-appt',
          patientAddress: address,
          actor: { kind: 'patient' },
          host: { memberId: node.chain.memberId, orgId: node.config.orgId },
        }),
      );
      await tables.appendEvent(SESSION, written.resource.id!, `0x${'00'.repeat(32)}` as Hex, Date.now());
    }
  }, 60_000);

  afterAll(async () => {
    await node?.dispose();
  });

  it("lists the patient's sessions hosted here with every event in order and its anchored receipt", async () => {
    const token = await patientToken('pv-p');
    const view = await eventually(async () => {
      const response = await node.app.inject({ method: 'GET', url: '/consent/patients/pv-p/telehealth-sessions', headers: { authorization: `Bearer ${token}` } });
      expect(response.statusCode, response.body).toBe(200);
      const body = response.json();
      expect(body.hosted[0].events.every((event: { receipt: { status: string } }) => event.receipt.status === 'anchored')).toBe(true);
      return body;
    });
    expect(view.patient).toBe('Patient/pv-p');
    expect(view.hosted).toHaveLength(1);
    expect(view.hosted[0]).toMatchObject({ sessionKey: SESSION, state: 'completed', encounter: 'Encounter/pv-enc', appointment: 'Appointment/pv-appt' });
    expect(view.hosted[0].events.map((event: { code: string }) => event.code)).toEqual(['booked', 'check-in', 'complete']);
    const first = view.hosted[0].events[0];
    expect(first.receipt.url).toBe(`/fhir/${first.auditEvent}/$receipt`);
    expect(first.receipt.receipt).toBeTruthy();
    expect(view.visitNotes).toEqual([]);
  });

  it("shows another patient none of it, and refuses one patient's token for another", async () => {
    const other = await node.app.inject({ method: 'GET', url: '/consent/patients/pv-other/telehealth-sessions', headers: staff() });
    expect(other.statusCode).toBe(200);
    expect(other.json()).toMatchObject({ hosted: [], visitNotes: [] });
    const token = await patientToken('pv-other');
    const refused = await node.app.inject({ method: 'GET', url: '/consent/patients/pv-p/telehealth-sessions', headers: { authorization: `Bearer ${token}` } });
    expect(refused.statusCode).toBe(403);
    const missing = await node.app.inject({ method: 'GET', url: '/consent/patients/pv-nobody/telehealth-sessions', headers: staff() });
    expect(missing.statusCode).toBe(404);
  });
});
