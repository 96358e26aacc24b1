// The consult workflow's API on two real nodes and one anvil chain: A is the patient's home
// hospital, B hosts the consult. Real HTTP, real SQLite, real registries; the its build on each
// other like the consult they tell.

import { Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readChainContent, findOnChain } from '../../test/support/chain-scan.js';
import { runCli } from '../../test/support/cli.js';
import { startConsultNodes, type ConsultNodes } from '../../test/support/consult-nodes.js';
import { eventually } from '../../test/support/eventually.js';
import { nodeApi as api } from '../../test/support/node-api.js';
import { TelehealthFinalState, type Hex } from '../ledger/ports.js';
import type { RunningNode } from '../node.js';
import { sessionIdHash } from './session-service.js';

const PATIENT = 'thpat-Vx81q';
const OTHER_PATIENT = 'thpat-Nq27z';
const DR = 'thdr-Host-77';
const SPECIALIST = 'thdr-Spec-31';
const REASON = 'Wexlorian rash spreading fast, query cellulitis';
const ESCALATION = 'Sudden chest pain, Quorvath sign positive';

function journalSize(node: RunningNode): number {
  return (node.db.prepare('SELECT COUNT(*) AS n FROM journal').get() as { n: number }).n;
}

describe('the telehealth API between a home hospital and a host', () => {
  let nodes: ConsultNodes;
  let A: RunningNode;
  let B: RunningNode;
  let patientToken: string;
  let assertion: string;
  let slots: string[];
  let sessionId: string;
  let provider: Wallet;
  let specialist: Wallet;
  let specialistId: string;

  beforeAll(async () => {
    nodes = await startConsultNodes('thr');
    ({ a: A, b: B } = nodes);
    for (const id of [PATIENT, OTHER_PATIENT]) await A.store.update('Patient', id, { resourceType: 'Patient', id, name: [{ family: 'Quillibrand' }] });
    await B.store.update('Practitioner', DR, { resourceType: 'Practitioner', id: DR, active: true });
    const session = await api(A, 'POST', `/consent/patients/${PATIENT}/session`, nodes.staff(A));
    patientToken = session.body.access_token;
    provider = (await nodes.licensedPractitioner()).key;
    specialist = (await nodes.licensedPractitioner()).key;
  }, 60_000);
  afterAll(async () => nodes?.stop());

  it('lets B\'s staff open a schedule and slots, and publishes the OpenAPI document', async () => {
    const schedule = await api(B, 'POST', '/telehealth/schedules', nodes.staff(B), { practitioner: DR });
    expect(schedule.status, JSON.stringify(schedule.body)).toBe(201);
    slots = [];
    for (const start of ['2030-03-04T09:00:00Z', '2030-03-04T10:00:00Z', '2030-03-04T11:00:00Z']) {
      const slot = await api(B, 'POST', `/telehealth/schedules/${schedule.body.id}/slots`, nodes.staff(B), { start, end: start.replace(':00:00Z', ':30:00Z') });
      expect(slot.status).toBe(201);
      expect(slot.body.status).toBe('free');
      slots.push(slot.body.id);
    }
    expect((await api(B, 'POST', '/telehealth/schedules', nodes.staff(B), { practitioner: 'nobody-here' })).status).toBe(404);
    expect((await api(B, 'POST', '/telehealth/schedules', null, { practitioner: DR })).status).toBe(401);

    const openapi = await api(B, 'GET', '/telehealth/openapi.json', null);
    expect(openapi.status).toBe(200);
    expect(openapi.body.openapi).toBe('3.1.0');
    expect(Object.keys(openapi.body.paths)).toEqual(
      expect.arrayContaining(['/telehealth/appointments', '/telehealth/sessions/{sessionId}/check-in', '/telehealth/sessions/{sessionId}/join', '/telehealth/sessions/{sessionId}/signal']),
    );
    expect(openapi.body.paths['/telehealth/appointments'].post.requestBody.content['application/json'].schema.required).toEqual(['slot']);
  });

  it('books through the patient session A issues, and only one of two bookings in flight for one slot wins', async () => {
    const issued = await api(A, 'POST', '/telehealth/patient-assertions', patientToken, { audience: B.config.publicUrl });
    // A patient without an address on the ledger has nothing to book with yet.
    expect(issued.status).toBe(403);
    const grant = await api(A, 'POST', `/consent/patients/${PATIENT}/consents`, patientToken, {
      grantee: { orgId: nodes.orgs.b },
      actions: ['access'],
      categories: ['Encounter'],
      purposes: ['TREAT'],
      notAfter: Math.floor(Date.now() / 1000) + 3600,
    });
    expect(grant.status, JSON.stringify(grant.body)).toBe(201);
    const again = await api(A, 'POST', '/telehealth/patient-assertions', patientToken, { audience: B.config.publicUrl });
    expect(again.status).toBe(200);
    assertion = again.body.token;

    const free = await api(B, 'GET', '/telehealth/slots', assertion);
    expect(free.status).toBe(200);
    expect(free.body.slots.map((s: any) => s.id).sort()).toEqual([...slots].sort());

    const journal = journalSize(B);
    const [first, second] = await Promise.all([
      api(B, 'POST', '/telehealth/appointments', assertion, { slot: slots[0], reason: REASON }),
      api(B, 'POST', '/telehealth/appointments', nodes.staff(B), { slot: slots[0], patient: again.body.patient, homeMember: nodes.orgs.a }),
    ]);
    expect([first.status, second.status].sort()).toEqual([201, 409]);
    const won = first.status === 201 ? first : second;
    const lost = first.status === 201 ? second : first;
    expect(lost.body.resourceType).toBe('OperationOutcome');
    sessionId = won.body.sessionId;
    expect(won.body.state).toBe('scheduled');
    // The winner wrote the tentative hold, then Appointment, Encounter, Slot and its AuditEvent.
    expect(journalSize(B)).toBe(journal + 5);
    expect((await api(B, 'GET', `/fhir/Slot/${slots[0]}`, nodes.staff(B))).body.status).toBe('busy');
    const appointment = await api(B, 'GET', `/fhir/${won.body.appointment}`, nodes.staff(B));
    expect(appointment.body.virtualService[0].sessionKey).toBe(sessionId);
  });

  it('refuses an illegal step with 409 and a staff-only step to the patient, changing nothing', async () => {
    const journal = journalSize(B);
    const complete = await api(B, 'POST', `/telehealth/sessions/${sessionId}/complete`, nodes.staff(B));
    expect(complete.status).toBe(409);
    expect(complete.body.issue[0].details.text).toMatch(/Cannot complete a consult that is scheduled/);
    expect((await api(B, 'POST', `/telehealth/sessions/${sessionId}/admit`, assertion, { licenceSubject: provider.address })).status).toBe(403);
    expect((await api(B, 'POST', `/telehealth/sessions/${sessionId}/escalations`, nodes.staff(B), { severity: 9, reason: 'x' })).status).toBe(400);
    expect(journalSize(B)).toBe(journal);
    expect((await api(B, 'GET', `/telehealth/sessions/${sessionId}`, assertion)).body.state).toBe('scheduled');
  });

  it('refuses check-in without the consent to the host: 403, nothing stored, nothing for the chain', async () => {
    const other = await api(A, 'POST', `/consent/patients/${OTHER_PATIENT}/session`, nodes.staff(A));
    // A consent to A itself (not the host) gives the patient an address but no consent for B.
    const toA = await api(A, 'POST', `/consent/patients/${OTHER_PATIENT}/consents`, other.body.access_token, {
      grantee: { orgId: nodes.orgs.a },
      actions: ['access'],
      categories: ['Encounter'],
      purposes: ['TREAT'],
      notAfter: Math.floor(Date.now() / 1000) + 3600,
    });
    expect(toA.status).toBe(201);
    const otherAssertion = (await api(A, 'POST', '/telehealth/patient-assertions', other.body.access_token, { audience: B.config.publicUrl })).body.token;
    const booked = await api(B, 'POST', '/telehealth/appointments', otherAssertion, { slot: slots[1] });
    expect(booked.status).toBe(201);
    const journal = journalSize(B);
    const refused = await api(B, 'POST', `/telehealth/sessions/${booked.body.sessionId}/check-in`, otherAssertion);
    expect(refused.status).toBe(403);
    expect(refused.body.issue[0].details.text).toMatch(/another hospital|no consent/);
    expect(journalSize(B)).toBe(journal);
    const view = await api(B, 'GET', `/telehealth/sessions/${booked.body.sessionId}`, otherAssertion);
    expect(view.body.state).toBe('scheduled');
    expect(view.body.chain).toEqual([]);
    // Another patient's session is not theirs to see.
    expect((await api(B, 'GET', `/telehealth/sessions/${sessionId}`, otherAssertion)).status).toBe(403);
  });

  it('checks in under the consent, opens the session on chain in the background, and admits with a licensed provider', async () => {
    const checkIn = await api(B, 'POST', `/telehealth/sessions/${sessionId}/check-in`, assertion);
    expect(checkIn.status, JSON.stringify(checkIn.body)).toBe(200);
    expect(checkIn.body.state).toBe('checked-in');
    expect(checkIn.body.consentGrantId).toMatch(/^0x[0-9a-f]{64}$/);
    const onChain = await eventually(async () => {
      const record = await B.chain.telehealth!.getSession(sessionIdHash(sessionId));
      expect(record).not.toBeNull();
      return record!;
    }, 15_000);
    expect(onChain.hostMember).toBe(B.chain.memberId);
    expect(onChain.homeMember).toBe(A.chain.memberId);
    expect(onChain.consentGrantId).toBe(checkIn.body.consentGrantId);

    expect((await api(B, 'POST', `/telehealth/sessions/${sessionId}/arrive`, assertion)).body.state).toBe('waiting');
    const notify = await api(B, 'POST', `/telehealth/sessions/${sessionId}/notification-token`, assertion);
    expect(notify.status).toBe(200);
    expect(notify.body.participantId).toBe('patient');
    // The patient waits: no join token before admission.
    expect((await api(B, 'POST', `/telehealth/sessions/${sessionId}/join`, assertion)).status).toBe(409);

    const unlicensed = Wallet.createRandom();
    expect((await api(B, 'POST', `/telehealth/sessions/${sessionId}/admit`, nodes.staff(B), { licenceSubject: unlicensed.address })).status).toBe(403);
    const admitted = await api(B, 'POST', `/telehealth/sessions/${sessionId}/admit`, nodes.staff(B), { licenceSubject: provider.address });
    expect(admitted.status, JSON.stringify(admitted.body)).toBe(200);
    expect(admitted.body.state).toBe('connecting');
  });

  it('issues join tokens after live checks, with the licence key proven by clinical participants', async () => {
    const patientJoin = await api(B, 'POST', `/telehealth/sessions/${sessionId}/join`, assertion);
    expect(patientJoin.status, JSON.stringify(patientJoin.body)).toBe(200);
    expect(patientJoin.body).toMatchObject({ participantId: 'patient', role: 'patient', permissions: { publish: true } });
    expect(patientJoin.body.signalPath).toBe(`/telehealth/sessions/${sessionId}/signal`);

    expect((await api(B, 'POST', `/telehealth/sessions/${sessionId}/join`, nodes.staff(B))).status).toBe(400);
    const challenge = await api(B, 'POST', `/telehealth/sessions/${sessionId}/join-challenge`, nodes.staff(B));
    expect(challenge.status).toBe(200);
    const wrongKey = await Wallet.createRandom().signMessage(challenge.body.message);
    expect((await api(B, 'POST', `/telehealth/sessions/${sessionId}/join`, nodes.staff(B), { holderProof: { nonce: challenge.body.nonce, signature: wrongKey } })).status).toBe(403);
    const signature = await provider.signMessage(challenge.body.message);
    const providerJoin = await api(B, 'POST', `/telehealth/sessions/${sessionId}/join`, nodes.staff(B), { holderProof: { nonce: challenge.body.nonce, signature } });
    expect(providerJoin.status, JSON.stringify(providerJoin.body)).toBe(200);
    expect(providerJoin.body.role).toBe('provider');

    const started = await api(B, 'POST', `/telehealth/sessions/${sessionId}/start`, nodes.staff(B));
    expect(started.body.state).toBe('in-progress');
  });

  it('invites A\'s specialist and an observer; the specialist joins with a member JWT and their licence key', async () => {
    const invited = await api(B, 'POST', `/telehealth/sessions/${sessionId}/invitations`, nodes.staff(B), {
      member: nodes.orgs.a,
      practitioner: SPECIALIST,
      role: 'specialist',
      licenceSubject: specialist.address,
    });
    expect(invited.status, JSON.stringify(invited.body)).toBe(201);
    specialistId = invited.body.participantId;
    const observer = await api(B, 'POST', `/telehealth/sessions/${sessionId}/invitations`, nodes.staff(B), { member: nodes.orgs.a, practitioner: 'thstudent-1', role: 'observer' });
    expect(observer.status).toBe(201);

    const challenge = await api(B, 'POST', `/telehealth/sessions/${sessionId}/join-challenge`, nodes.memberJwtOfA(SPECIALIST));
    expect(challenge.status, JSON.stringify(challenge.body)).toBe(200);
    const joined = await api(B, 'POST', `/telehealth/sessions/${sessionId}/join`, nodes.memberJwtOfA(SPECIALIST), {
      holderProof: { nonce: challenge.body.nonce, signature: await specialist.signMessage(challenge.body.message) },
    });
    expect(joined.status, JSON.stringify(joined.body)).toBe(200);
    expect(joined.body).toMatchObject({ participantId: specialistId, role: 'specialist' });
    const observerJoin = await api(B, 'POST', `/telehealth/sessions/${sessionId}/join`, nodes.memberJwtOfA('thstudent-1'));
    expect(observerJoin.status).toBe(200);
    expect(observerJoin.body.permissions.publish).toBe(false);
    // A practitioner of A who was not invited is no participant.
    expect((await api(B, 'POST', `/telehealth/sessions/${sessionId}/join`, nodes.memberJwtOfA('thdr-stranger'))).status).toBe(403);

    const withdrawn = await api(B, 'DELETE', `/telehealth/sessions/${sessionId}/invitations/${observer.body.participantId}`, nodes.staff(B));
    expect(withdrawn.status).toBe(200);
    expect((await api(B, 'POST', `/telehealth/sessions/${sessionId}/join`, nodes.memberJwtOfA('thstudent-1'))).status).toBe(403);
  });

  it('escalates, wraps up and completes; the close lands on chain with the root of the session\'s event log', async () => {
    const escalated = await api(B, 'POST', `/telehealth/sessions/${sessionId}/escalations`, nodes.staff(B), { severity: 4, reason: ESCALATION });
    expect(escalated.status).toBe(201);
    expect((await api(B, 'POST', `/telehealth/sessions/${sessionId}/wrap-up`, nodes.staff(B))).body.state).toBe('wrapping-up');
    const completed = await api(B, 'POST', `/telehealth/sessions/${sessionId}/complete`, nodes.staff(B));
    expect(completed.body.state).toBe('completed');
    expect((await api(B, 'POST', `/telehealth/sessions/${sessionId}/join`, assertion)).status).toBe(409);

    const closed = await eventually(async () => {
      const record = await B.chain.telehealth!.getSession(sessionIdHash(sessionId));
      expect(record?.closedAt).not.toBeNull();
      return record!;
    }, 20_000);
    expect(closed.finalState).toBe(TelehealthFinalState.COMPLETED);
    expect(closed.eventLogRoot).toBe(await B.telehealth!.service.eventLogRoot(sessionId));
    // The outbox marks a write sent after its receipt arrives, which can be a moment after the
    // chain already shows it.
    const view = await eventually(async () => {
      const answer = await api(B, 'GET', `/telehealth/sessions/${sessionId}`, nodes.staff(B));
      expect(answer.body.chain.map((w: any) => [w.kind, w.status])).toEqual([
        ['open', 'sent'],
        ['invite', 'sent'],
        ['invite', 'sent'],
        ['withdraw', 'sent'],
        ['escalate', 'sent'],
        ['close', 'sent'],
      ]);
      return answer;
    }, 10_000);
    const encounter = await api(B, 'GET', `/fhir/${view.body.encounter}`, nodes.staff(B));
    expect(encounter.body).toMatchObject({ status: 'completed', class: [{ coding: [{ code: 'VR' }] }] });
    const audits = await api(B, 'GET', `/fhir/AuditEvent?encounter=${view.body.encounter}&_count=100`, nodes.staff(B));
    expect(audits.body.total).toBeGreaterThanOrEqual(12);
  });

  it('drives the same API from the command line, with one-line errors and exit codes', async () => {
    const env = { DATA_DIR: B.config.dataDir };
    const listed = await runCli(['telehealth', 'show', sessionId, '--url', B.config.publicUrl, '--token', nodes.staff(B)], env);
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout)).toMatchObject({ sessionId, state: 'completed' });
    const illegal = await runCli(['telehealth', 'admit', sessionId, '--licence-subject', provider.address, '--url', B.config.publicUrl, '--token', nodes.staff(B)], env);
    expect(illegal.code).toBe(1);
    expect(illegal.stderr.trim().split('\n')).toHaveLength(1);
    expect(illegal.stderr).toMatch(/409: Cannot admit a consult that is completed/);
  }, 60_000);

  it('puts nothing identifying on chain', async () => {
    const content = await readChainContent(nodes.chain.rpcUrl);
    const needles = [PATIENT, OTHER_PATIENT, DR, SPECIALIST, 'thstudent-1', REASON, ESCALATION, sessionId, 'Quillibrand', specialistId];
    expect(findOnChain(content, needles)).toEqual([]);
    expect(content.parts.some((part) => part.includes(sessionIdHash(sessionId).slice(2)))).toBe(true);
  });

  it('ejects a practitioner whose licence is revoked, and ends the session when the patient revokes consent mid-session', async () => {
    const booked = await api(B, 'POST', '/telehealth/appointments', assertion, { slot: slots[2] });
    const id = booked.body.sessionId as string;
    expect((await api(B, 'POST', `/telehealth/sessions/${id}/check-in`, assertion)).status).toBe(200);
    await api(B, 'POST', `/telehealth/sessions/${id}/arrive`, assertion);
    await api(B, 'POST', `/telehealth/sessions/${id}/admit`, nodes.staff(B), { licenceSubject: provider.address });
    const ejected: unknown[] = [];
    B.telehealth!.service.onEjection((e) => ejected.push(e));

    // A licence revoked mid-session ejects its practitioner within 5 s, and they cannot join again.
    const second = await nodes.licensedPractitioner();
    const invited = await api(B, 'POST', `/telehealth/sessions/${id}/invitations`, nodes.staff(B), {
      member: nodes.orgs.a,
      practitioner: 'thdr-Second-9',
      role: 'second-opinion',
      licenceSubject: second.key.address,
    });
    expect(invited.status).toBe(201);
    const licenceRevokedAt = Date.now();
    await nodes.board.licences!.revoke(second.credentialHash);
    await eventually(async () => expect(ejected).toContainEqual({ sessionId: id, participantId: invited.body.participantId, refusal: 'licence-invalid' }), 5_000, 50);
    expect(Date.now() - licenceRevokedAt).toBeLessThan(5_000);
    const challenge = await api(B, 'POST', `/telehealth/sessions/${id}/join-challenge`, nodes.memberJwtOfA('thdr-Second-9'));
    const refusedJoin = await api(B, 'POST', `/telehealth/sessions/${id}/join`, nodes.memberJwtOfA('thdr-Second-9'), {
      holderProof: { nonce: challenge.body.nonce, signature: await second.key.signMessage(challenge.body.message) },
    });
    expect(refusedJoin.status).toBe(403);
    expect(refusedJoin.body.issue[0].details.text).toMatch(/licence-invalid/);

    const grants = await api(A, 'GET', `/consent/patients/${PATIENT}/consents`, patientToken);
    const grantId = grants.body.grants.find((g: any) => g.status === 'active').grantId as Hex;
    const revokedAt = Date.now();
    expect((await api(A, 'POST', `/consent/patients/${PATIENT}/consents/${grantId}/revoke`, patientToken, {})).status).toBe(200);
    await eventually(async () => expect(ejected).toContainEqual({ sessionId: id, participantId: null, refusal: 'consent-revoked' }), 5_000, 50);
    expect(Date.now() - revokedAt).toBeLessThan(5_000);
    const view = await api(B, 'GET', `/telehealth/sessions/${id}`, nodes.staff(B));
    expect(view.body.state).toBe('cancelled');
    expect(view.body.endReason).toMatch(/revoked/);
    const join = await api(B, 'POST', `/telehealth/sessions/${id}/join`, assertion);
    expect(join.status).toBe(409);
  });
});
