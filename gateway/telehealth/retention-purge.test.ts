// The retention purge on a real node with a fake clock: messages past the consultation channel's
// retention are crypto-shredded (their content unreadable for good), younger ones stay, and each
// deletion leaves an AuditEvent naming only the channel, the count and the period, anchored on the
// node's chain.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNodeKeys } from '../keys/node-keys.js';
import type { Hex } from '../ledger/ports.js';
import { openConsultMessageStore } from '../store/consult-message-store.js';
import { Vault } from '../store/vault.js';
import { eventually } from '../../test/support/eventually.js';
import { startTestNode, type TestNode } from '../../test/support/test-node.js';
import { ConsultMessages } from './consult-messages.js';
import type { Participant } from './ports.js';
import { createRetentionPurge, consultationRetentionSource } from './retention-purge.js';
import { retentionPolicyFrom } from './retention-policy.js';

const SESSION = 'sess-retention-0123456789';
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 15, 9, 30);

describe('telehealth retention purge', () => {
  let node: TestNode;
  let messages: ConsultMessages;
  let clock = T0;
  const now = () => clock;
  const policy = retentionPolicyFrom({}, process.cwd());

  beforeAll(async () => {
    node = await startTestNode();
    await node.store.update('Encounter', 'ret-enc', {
      resourceType: 'Encounter',
      id: 'ret-enc',
      status: 'completed',
      class: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'VR' }] }],
      subject: { reference: 'Patient/ret-p' },
    });
    const patient: Participant = { participantId: 'pat-r', role: 'patient', member: `0x${'cd'.repeat(32)}` as Hex, permissions: { publish: true, chat: true } };
    messages = new ConsultMessages({
      table: openConsultMessageStore(node.db).messages,
      vault: new Vault(node.db, loadNodeKeys({ dataDir: node.dataDir, allowGenerate: false }).masterKey),
      store: node.store,
      gate: { check: async () => ({ ok: true, participant: patient }) },
      contexts: { contextOf: async () => ({ encounter: 'Encounter/ret-enc', patientReference: 'Patient/ret-p', patientAddress: `0x${'22'.repeat(20)}` as Hex }) },
      notifier: { notify: () => undefined },
      retention: policy.periods.consultation,
      now,
    });
  }, 60_000);

  afterAll(async () => {
    await node?.dispose();
  });

  it('shreds what outlived its retention, keeps the rest, and anchors a record of the deletion without PHI', async () => {
    const old1 = await messages.post(SESSION, 'pat-r', { kind: 'text', text: 'first symptom note' });
    clock = T0 + 2 * DAY;
    const old2 = await messages.post(SESSION, 'pat-r', { kind: 'file', contentType: 'application/pdf', bytes: Buffer.from('%PDF-1.7 prior lab report') });
    clock = T0 + 3 * 365 * DAY;
    const young = await messages.post(SESSION, 'pat-r', { kind: 'text', text: 'follow-up three years later' });

    const purge = createRetentionPurge({
      sources: [consultationRetentionSource(openConsultMessageStore(node.db).messages)],
      policy,
      store: node.store,
      node: { memberId: node.chain.memberId, orgId: node.config.orgId },
      now,
    });

    // Seven calendar years to the minute after the first message: only that one has run out.
    clock = Date.UTC(2033, 0, 15, 9, 30);
    const first = await purge.runOnce();
    expect(first.map(({ channel, count }) => ({ channel, count }))).toEqual([{ channel: 'consultation', count: 1 }]);

    clock = T0 + 8 * 365 * DAY;
    const second = await purge.runOnce();
    expect(second.map(({ count }) => count)).toEqual([1]);
    expect(await purge.runOnce()).toEqual([]);

    const listed = await messages.list(SESSION, 'pat-r');
    expect(listed.map((m) => [m.id, m.expired, m.text ?? null])).toEqual([
      [old1.id, true, null],
      [old2.id, true, null],
      [young.id, false, 'follow-up three years later'],
    ]);
    await expect(messages.content(SESSION, 'pat-r', old2.id)).rejects.toMatchObject({ outcome: { id: 'gone' } });
    expect((await messages.content(SESSION, 'pat-r', young.id)).bytes.toString()).toBe('follow-up three years later');
    const rows = node.db.prepare('SELECT message_id, wrapped_key IS NULL AS no_key, sealed IS NULL AS no_content FROM consult_messages ORDER BY created_at').all();
    expect(rows).toEqual([
      { message_id: old1.id, no_key: 1, no_content: 1 },
      { message_id: old2.id, no_key: 1, no_content: 1 },
      { message_id: young.id, no_key: 0, no_content: 0 },
    ]);

    const [type, id, , version] = first[0]!.auditEvent.split('/') as [string, string, string, string];
    const record = (await node.store.read(type, id)).resource;
    expect(record).toMatchObject({ resourceType: 'AuditEvent', action: 'D' });
    const text = JSON.stringify(record);
    expect(text).toContain('"valueString":"consultation"');
    expect(text).toContain('"valueInteger":1');
    expect(text).toContain('"valueString":"7y"');
    for (const secret of [SESSION, 'Patient/ret-p', 'symptom', 'pat-r', old1.id]) expect(text).not.toContain(secret);
    await eventually(async () => expect((await node.store.receipt(type, id, version)).status).toBe('anchored'));
  });

  it('runs on start and on its interval, and stops cleanly', async () => {
    const runs: number[] = [];
    const purge = createRetentionPurge({
      sources: [{ channel: 'notifications', expired: async () => (runs.push(clock), []), shred: async () => 0 }],
      policy: { ...policy, purgeIntervalMs: 50 },
      store: node.store,
      node: { memberId: node.chain.memberId, orgId: node.config.orgId },
      now,
    });
    purge.start();
    await eventually(() => expect(runs.length).toBeGreaterThanOrEqual(3), 5000, 20);
    await purge.stop();
    const after = runs.length;
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(runs.length).toBe(after);
  });
});
