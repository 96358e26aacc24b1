// The consult's chain writes while the chain is away: the user's step is answered at local
// speed, the write waits durably in SQLite (across a node restart), and lands once the chain is
// back. A real node on its own anvil, stopped and restarted on the same state.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually } from '../../test/support/eventually.js';
import { nodeApi as api } from '../../test/support/node-api.js';
import { startNodeOnOwnChain } from '../../test/support/node-on-own-chain.js';
import { startNode, type RunningNode } from '../node.js';
import { freePort } from '../server/free-port.js';
import { startEmbeddedChain, type EmbeddedChain } from '../../network/embedded-chain.js';
import { sessionIdHash } from './session-service.js';

describe('the telehealth chain outbox', () => {
  const dir = mkdtempSync(join(tmpdir(), 'careledger-th-outbox-'));
  let chain: EmbeddedChain | undefined;
  let node: RunningNode | undefined;

  afterAll(async () => {
    await node?.close();
    await chain?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers a check-in while the chain is down, keeps the opening across a restart, and sends it once the chain is back', async () => {
    const port = await freePort();
    let chainDir: string;
    ({ chain, chainDir, node } = await startNodeOnOwnChain(dir, 'outbox-hospital', { chainPort: port }));
    const staff = (JSON.parse(readFileSync(node.devFile!, 'utf8')) as { token: string }).token;
    await node.store.update('Patient', 'obx-pat', { resourceType: 'Patient', id: 'obx-pat' });
    await node.store.update('Practitioner', 'obx-dr', { resourceType: 'Practitioner', id: 'obx-dr', active: true });
    const patient = (await api(node, 'POST', '/consent/patients/obx-pat/session', staff)).body.access_token as string;
    // The host is the patient's home hospital here: the patient consents to it directly.
    const grant = await api(node, 'POST', '/consent/patients/obx-pat/consents', patient, {
      grantee: { orgId: 'outbox-hospital' },
      actions: ['access'],
      categories: ['Encounter'],
      purposes: ['TREAT'],
      notAfter: Math.floor(Date.now() / 1000) + 3600,
    });
    expect(grant.status, JSON.stringify(grant.body)).toBe(201);
    const schedule = (await api(node, 'POST', '/telehealth/schedules', staff, { practitioner: 'obx-dr' })).body;
    const slot = (await api(node, 'POST', `/telehealth/schedules/${schedule.id}/slots`, staff, { start: '2030-05-01T08:00:00Z', end: '2030-05-01T08:30:00Z' })).body;
    const booked = await api(node, 'POST', '/telehealth/appointments', patient, { slot: slot.id });
    expect(booked.status, JSON.stringify(booked.body)).toBe(201);
    const sessionId = booked.body.sessionId as string;
    // The grant cache must have seen the consent before the chain goes away.
    await eventually(async () => expect(node!.telehealth!.service.consentStanding({ ...(await node!.telehealth!.service.requireSession(sessionId)), consentGrantId: grant.body.grantId }).ok).toBe(true), 10_000);

    await chain.stop();
    chain = undefined;
    const started = Date.now();
    const checkIn = await api(node, 'POST', `/telehealth/sessions/${sessionId}/check-in`, patient);
    expect(checkIn.status, JSON.stringify(checkIn.body)).toBe(200);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(checkIn.body.state).toBe('checked-in');
    expect(checkIn.body.chain).toEqual([{ kind: 'open', status: 'pending' }]);

    // The node goes down with the write still waiting; its row is on disk.
    const config = node.config;
    await node.close();
    node = undefined;
    chain = await startEmbeddedChain({ dataDir: chainDir, port });
    node = await startNode(config);
    await eventually(async () => {
      const view = await node!.telehealth!.service.view(sessionId);
      expect(view.chain).toEqual([expect.objectContaining({ kind: 'open', status: 'sent' })]);
    }, 20_000);
    const record = await node.chain.telehealth!.getSession(sessionIdHash(sessionId));
    expect(record?.consentGrantId).toBe(checkIn.body.consentGrantId);
    expect(record?.hostMember).toBe(node.chain.memberId);
  });

  it('ends the session when the contract refuses its opening (consent revoked between check-in and inclusion)', async () => {
    const running = node!;
    const staff = (JSON.parse(readFileSync(running.devFile!, 'utf8')) as { token: string }).token;
    const patient = (await api(running, 'POST', '/consent/patients/obx-pat/session', staff)).body.access_token as string;
    const schedule = (await api(running, 'POST', '/telehealth/schedules', staff, { practitioner: 'obx-dr' })).body;
    const slot = (await api(running, 'POST', `/telehealth/schedules/${schedule.id}/slots`, staff, { start: '2030-05-02T08:00:00Z', end: '2030-05-02T08:30:00Z' })).body;
    const sessionId = (await api(running, 'POST', '/telehealth/appointments', patient, { slot: slot.id })).body.sessionId as string;

    // Hold the outbox so the opening waits while the patient revokes on chain.
    await running.telehealth!.outbox.stop();
    const checkIn = await api(running, 'POST', `/telehealth/sessions/${sessionId}/check-in`, patient);
    expect(checkIn.status).toBe(200);
    const revoked = await api(running, 'POST', `/consent/patients/obx-pat/consents/${checkIn.body.consentGrantId}/revoke`, patient, {});
    expect(revoked.status, JSON.stringify(revoked.body)).toBe(200);
    running.telehealth!.outbox.start();

    await eventually(async () => {
      const view = await running.telehealth!.service.view(sessionId);
      expect(view.state).toBe('cancelled');
      expect(view.chain[0]).toMatchObject({ kind: 'open', status: 'rejected' });
    }, 15_000);
    expect(await running.chain.telehealth!.getSession(sessionIdHash(sessionId))).toBeNull();
    expect((await running.telehealth!.service.view(sessionId)).chain.slice(1).every((w) => w.status === 'skipped')).toBe(true);
  });
});
