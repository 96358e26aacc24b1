// The patient view at the home hospital (A) lists the consults another member (B) hosts for the
// patient: two real nodes on one anvil chain that know each other's URL (TELEHEALTH_MEMBER_URLS),
// a consult booked and checked in at B through A's patient session, and A asking B over real
// HTTP on 127.0.0.1 with a patient session it signs for B. The patient sees B's session with each
// AuditEvent and its receipt (verified here against the chain); another patient sees nothing of
// it; B answers only patients; and a host that is down or mute is listed as unavailable while the
// rest of the view is served.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConsultNodes, type ConsultNodes } from '../../test/support/consult-nodes.js';
import { eventually } from '../../test/support/eventually.js';
import { nodeApi as api } from '../../test/support/node-api.js';
import { memberIdOf } from '../crypto/digest.js';
import type { Hex } from '../ledger/ports.js';
import type { RunningNode } from '../node.js';
import { verifyReceipt } from '../receipts/verify.js';
import { ConsultsElsewhere } from './consults-elsewhere.js';

const PATIENT = 'prs-pat-Qw81';
const OTHER_PATIENT = 'prs-pat-Zt40';
const DR = 'prs-dr-Hollin';

describe('a patient\'s consults at other members, in the patient view at home', () => {
  let nodes: ConsultNodes;
  let A: RunningNode;
  let B: RunningNode;
  const tokens: Record<string, string> = {};
  const addresses: Record<string, Hex> = {};
  let sessionId: string;
  let foreignSession: string;

  const viewAt = (patientId: string, token: string) => api(A, 'GET', `/consent/patients/${patientId}/telehealth-sessions`, token);
  const assertionFor = async (patientId: string, audience = B.config.publicUrl) => {
    const issued = await api(A, 'POST', '/telehealth/patient-assertions', tokens[patientId]!, { audience });
    expect(issued.status, JSON.stringify(issued.body)).toBe(200);
    return issued.body.token as string;
  };

  beforeAll(async () => {
    nodes = await startConsultNodes('prs', { memberUrls: true });
    ({ a: A, b: B } = nodes);
    await B.store.update('Practitioner', DR, { resourceType: 'Practitioner', id: DR, active: true });
    // Each patient consents (to B, or to A itself), which gives them an address on the ledger.
    for (const [id, grantee] of [[PATIENT, nodes.orgs.b], [OTHER_PATIENT, nodes.orgs.a]] as const) {
      await A.store.update('Patient', id, { resourceType: 'Patient', id, name: [{ family: 'Brindlecombe' }] });
      tokens[id] = (await api(A, 'POST', `/consent/patients/${id}/session`, nodes.staff(A))).body.access_token;
      const grant = await api(A, 'POST', `/consent/patients/${id}/consents`, tokens[id]!, {
        grantee: { orgId: grantee },
        actions: ['access'],
        categories: ['Encounter'],
        purposes: ['TREAT'],
        notAfter: Math.floor(Date.now() / 1000) + 3600,
      });
      expect(grant.status, JSON.stringify(grant.body)).toBe(201);
      addresses[id] = (await api(A, 'GET', `/consent/patients/${id}`, tokens[id]!)).body.address.toLowerCase();
    }
  }, 90_000);
  afterAll(async () => nodes?.stop());

  it('lists the session B hosts for A\'s patient, with each AuditEvent and its receipt, which verifies against the chain', async () => {
    const schedule = await api(B, 'POST', '/telehealth/schedules', nodes.staff(B), { practitioner: DR });
    expect(schedule.status, JSON.stringify(schedule.body)).toBe(201);
    const slots: string[] = [];
    for (const start of ['2030-07-01T09:00:00Z', '2030-07-01T10:00:00Z']) {
      slots.push((await api(B, 'POST', `/telehealth/schedules/${schedule.body.id}/slots`, nodes.staff(B), { start, end: start.replace(':00:00Z', ':30:00Z') })).body.id);
    }
    const assertion = await assertionFor(PATIENT);
    const booked = await api(B, 'POST', '/telehealth/appointments', assertion, { slot: slots[0] });
    expect(booked.status, JSON.stringify(booked.body)).toBe(201);
    sessionId = booked.body.sessionId;
    const checkedIn = await api(B, 'POST', `/telehealth/sessions/${sessionId}/check-in`, assertion);
    expect(checkedIn.status, JSON.stringify(checkedIn.body)).toBe(200);
    // B's staff book the same address as a patient of B itself: that consult is not A's to show.
    const foreign = await api(B, 'POST', '/telehealth/appointments', nodes.staff(B), { slot: slots[1], patient: addresses[PATIENT], homeMember: nodes.orgs.b });
    expect(foreign.status, JSON.stringify(foreign.body)).toBe(201);
    foreignSession = foreign.body.sessionId;

    const view = await eventually(async () => {
      const answer = await viewAt(PATIENT, tokens[PATIENT]!);
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      for (const event of answer.body.elsewhere[0]?.sessions[0]?.events ?? [null]) expect(event?.receipt.status).toBe('anchored');
      return answer.body;
    }, 30_000);
    expect(view.hosted).toEqual([]);
    expect(view.unavailable).toEqual([]);
    expect(view.elsewhere).toHaveLength(1);
    expect(view.elsewhere[0]).toMatchObject({ member: B.chain.memberId, orgId: nodes.orgs.b });
    expect(view.elsewhere[0].sessions.map((s: any) => [s.sessionKey, s.state])).toEqual([[sessionId, 'checked-in']]);
    const session = view.elsewhere[0].sessions[0];
    expect(session).toMatchObject({ encounter: booked.body.encounter, appointment: booked.body.appointment });
    expect(session.events.map((e: any) => e.code)).toEqual(['booked', 'check-in']);

    // Each receipt is B's, for the AuditEvent B serves, anchored under B's member on chain.
    for (const event of session.events) {
      const served = await api(B, 'GET', `/fhir/${event.auditEvent}`, nodes.staff(B));
      expect(served.status).toBe(200);
      const verdict = await verifyReceipt(served.body, event.receipt.receipt, (member, sequence) => A.chain.anchors.getAnchor(member, sequence));
      expect(verdict.valid, JSON.stringify(verdict, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))).toBe(true);
    }

    // Staff at A with Consent read see the same view.
    const staffView = await viewAt(PATIENT, nodes.staff(A));
    expect(staffView.body.elsewhere[0].sessions.map((s: any) => s.sessionKey)).toEqual([sessionId]);
  });

  it('shows another patient nothing of it, at A or at B', async () => {
    const other = await viewAt(OTHER_PATIENT, tokens[OTHER_PATIENT]!);
    expect(other.status, JSON.stringify(other.body)).toBe(200);
    expect(other.body).toMatchObject({ hosted: [], elsewhere: [], unavailable: [] });
    expect((await viewAt(PATIENT, tokens[OTHER_PATIENT]!)).status).toBe(403);

    const atB = await api(B, 'GET', '/telehealth/patient/sessions', await assertionFor(OTHER_PATIENT));
    expect(atB.status, JSON.stringify(atB.body)).toBe(200);
    expect(atB.body.sessions).toEqual([]);
    // The patient themselves at B, with A's session: their consult, never the one booked through B.
    const own = await api(B, 'GET', '/telehealth/patient/sessions', await assertionFor(PATIENT));
    expect(own.body.sessions.map((s: any) => s.sessionKey)).toEqual([sessionId]);
    expect(JSON.stringify(own.body)).not.toContain(foreignSession);
  });

  it('answers at B only a patient session addressed to B', async () => {
    const path = '/telehealth/patient/sessions';
    expect((await api(B, 'GET', path, null)).status).toBe(401);
    const staff = await api(B, 'GET', path, nodes.staff(B));
    expect(staff.status).toBe(403);
    expect(staff.body.issue[0].details.text).toMatch(/patient session from their home hospital/);
    expect((await api(B, 'GET', path, nodes.memberJwtOfA('prs-dr-A'))).status).toBe(403);
    const elsewhere = await api(B, 'GET', path, await assertionFor(PATIENT, A.config.publicUrl));
    expect(elsewhere.status).toBe(401);
    expect(elsewhere.body.issue[0].details.text).toMatch(/addressed to another hospital/);

    const openapi = await api(B, 'GET', '/telehealth/openapi.json', null);
    expect(openapi.body.paths[path].get.responses['200']).toBeDefined();
  });

  it('reports a mute host and a member that is no hospital as unavailable, within the deadline', async () => {
    const mute: Server = createServer(() => undefined);
    await new Promise<void>((resolve) => mute.listen(0, '127.0.0.1', resolve));
    try {
      const board = memberIdOf(nodes.orgs.licensing);
      const elsewhere = new ConsultsElsewhere({
        memberUrls: { [B.chain.memberId]: `http://127.0.0.1:${(mute.address() as AddressInfo).port}`, [board]: B.config.publicUrl, [A.chain.memberId]: A.config.publicUrl },
        self: { memberId: A.chain.memberId, signerKey: `0x${'11'.repeat(32)}` },
        members: A.chain.members,
        timeoutMs: 300,
      });
      const started = performance.now();
      const answer = await elsewhere.of(addresses[PATIENT]!);
      expect(performance.now() - started).toBeLessThan(2_000);
      expect(answer.elsewhere).toEqual([]);
      expect(answer.unavailable).toEqual(
        expect.arrayContaining([
          { member: B.chain.memberId, reason: 'its node did not answer within 300 ms' },
          { member: board, reason: expect.stringMatching(/not an active hospital member/) },
        ]),
      );
      expect(answer.unavailable).toHaveLength(2);
    } finally {
      mute.closeAllConnections();
      await new Promise((resolve) => mute.close(resolve));
    }
  });

  it('lists B as unavailable when its node is down, and serves the rest of the view', async () => {
    await B.close();
    const started = performance.now();
    const view = await viewAt(PATIENT, tokens[PATIENT]!);
    expect(performance.now() - started).toBeLessThan(3_500);
    expect(view.status, JSON.stringify(view.body)).toBe(200);
    expect(view.body).toMatchObject({ patient: `Patient/${PATIENT}`, hosted: [], elsewhere: [], visitNotes: [] });
    expect(view.body.unavailable).toEqual([{ member: B.chain.memberId, reason: expect.stringMatching(/^its node did not answer/) }]);
  });
});
