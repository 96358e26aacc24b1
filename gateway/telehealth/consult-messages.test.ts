// Chat and files of a consultation on a real node (its store, vault and anchoring on its own
// embedded chain), through the HTTP routes with app.inject. The session workflow is a small
// in-test double (who is admitted, with which permissions); the messages, their sealing and
// their anchored Communications are the real thing.

import Fastify, { type FastifyInstance } from 'fastify';
import { OperationOutcomeError, unauthorized } from '@medplum/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNodeKeys } from '../keys/node-keys.js';
import type { Hex } from '../ledger/ports.js';
import { openConsultMessageStore } from '../store/consult-message-store.js';
import { Vault } from '../store/vault.js';
import { findOnChain, readChainContent } from '../../test/support/chain-scan.js';
import { eventually } from '../../test/support/eventually.js';
import { startTestNode, type TestNode } from '../../test/support/test-node.js';
import { consultMessageRoutes } from './consult-message-routes.js';
import { ConsultMessages } from './consult-messages.js';
import type { ConsultNotice, GateDecision, Participant, SessionGate } from './ports.js';

const SESSION = 'sess-chat-0123456789abcdef';
const CLOSED = 'sess-closed-0123456789abcdef';
const PATIENT_ADDRESS = '0x1111111111111111111111111111111111111111' as Hex;
const MEMBER = `0x${'ab'.repeat(32)}` as Hex;

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('rash photo pixels')]);
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('jpeg body')]);

const participant = (participantId: string, role: Participant['role'], chat = true): Participant => ({
  participantId,
  role,
  member: MEMBER,
  permissions: { publish: role !== 'observer', chat },
});

/** The workflow's live checks, as a table: who is admitted to which session. */
class TableGate implements SessionGate {
  readonly admitted = new Map<string, Participant>([
    ['pat-1', participant('pat-1', 'patient')],
    ['doc-1', participant('doc-1', 'provider')],
    ['obs-1', participant('obs-1', 'observer', false)],
  ]);
  async check(sessionId: string, participantId: string): Promise<GateDecision> {
    if (sessionId === CLOSED) return { ok: false, refusal: 'session-closed', detail: 'The session is completed' };
    const found = this.admitted.get(participantId);
    return found ? { ok: true, participant: found } : { ok: false, refusal: 'not-a-participant', detail: 'Not a participant of this session' };
  }
}

describe('consultation messages and files', () => {
  let node: TestNode;
  let app: FastifyInstance;
  let vault: Vault;
  let table: ReturnType<typeof openConsultMessageStore>['messages'];
  const notices: ConsultNotice[] = [];

  beforeAll(async () => {
    node = await startTestNode();
    await node.store.update('Patient', 'chat-p', { resourceType: 'Patient', id: 'chat-p', gender: 'female' });
    await node.store.update('Encounter', 'chat-enc', {
      resourceType: 'Encounter',
      id: 'chat-enc',
      status: 'in-progress',
      class: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'VR' }] }],
      subject: { reference: 'Patient/chat-p' },
    });
    vault = new Vault(node.db, loadNodeKeys({ dataDir: node.dataDir, allowGenerate: false }).masterKey);
    table = openConsultMessageStore(node.db).messages;
    const messages = new ConsultMessages({
      table,
      vault,
      store: node.store,
      gate: new TableGate(),
      contexts: { contextOf: async (id) => (id === SESSION || id === CLOSED ? { encounter: 'Encounter/chat-enc', patientReference: 'Patient/chat-p', patientAddress: PATIENT_ADDRESS } : null) },
      notifier: { notify: (_session, _participant, notice) => notices.push(notice) },
      retention: { years: 7, days: 0 },
    });
    app = Fastify();
    await app.register(
      consultMessageRoutes({
        messages,
        participantOf: async (request) => {
          const id = /^Participant (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
          if (!id) throw new OperationOutcomeError(unauthorized);
          return id;
        },
      }),
    );
    await app.ready();
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await node?.dispose();
  });

  const as = (who: string) => ({ authorization: `Participant ${who}` });
  const communications = async () => (await node.store.search({ type: 'Communication', params: [], count: 100, offset: 0, summaryCount: false })).resources;
  const stored = () => (node.db.prepare('SELECT COUNT(*) AS n FROM consult_messages').get() as { n: number }).n;

  it('relays a participant\'s message to the others, seals it, and anchors a Communication that holds no content', async () => {
    const posted = await app.inject({ method: 'POST', url: `/telehealth/sessions/${SESSION}/messages`, headers: as('pat-1'), payload: { text: 'The itch is worse at night' } });
    expect(posted.statusCode, posted.body).toBe(201);
    const message = posted.json();
    expect(message).toMatchObject({ sender: 'pat-1', senderRole: 'patient', kind: 'text', text: 'The itch is worse at night', expired: false });
    expect(notices).toContainEqual({ kind: 'message', sessionId: SESSION, messageId: message.id, from: 'pat-1' });

    const listed = await app.inject({ method: 'GET', url: `/telehealth/sessions/${SESSION}/messages`, headers: as('doc-1') });
    expect(listed.statusCode).toBe(200);
    expect(listed.json().messages.map((m: { text: string }) => m.text)).toContain('The itch is worse at night');

    const row = node.db.prepare('SELECT sealed, wrapped_key, compartment FROM consult_messages WHERE message_id = ?').get(message.id) as {
      sealed: Buffer;
      wrapped_key: Buffer;
      compartment: string;
    };
    expect(row.compartment).toBe('Patient/chat-p');
    expect(row.sealed.includes(Buffer.from('itch'))).toBe(false);

    const [type, id, , version] = message.communication.split('/');
    const communication = (await node.store.read(type, id)).resource;
    expect(communication).toMatchObject({ encounter: { reference: 'Encounter/chat-enc' }, subject: { reference: 'Patient/chat-p' }, status: 'completed' });
    expect(JSON.stringify(communication)).not.toContain('itch');
    await eventually(async () => expect((await node.store.receipt(type, id, version)).status).toBe('anchored'));
  });

  it('lets an observer read but not post: 403, and nothing is stored or anchored', async () => {
    const before = { rows: stored(), communications: (await communications()).length };
    const refused = await app.inject({ method: 'POST', url: `/telehealth/sessions/${SESSION}/messages`, headers: as('obs-1'), payload: { text: 'hello' } });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().issue[0].details.text).toMatch(/observer role may read/);
    const file = await app.inject({ method: 'POST', url: `/telehealth/sessions/${SESSION}/files`, headers: { ...as('obs-1'), 'content-type': 'image/png' }, payload: PNG });
    expect(file.statusCode).toBe(403);
    expect((await app.inject({ method: 'GET', url: `/telehealth/sessions/${SESSION}/messages`, headers: as('obs-1') })).statusCode).toBe(200);
    expect({ rows: stored(), communications: (await communications()).length }).toEqual(before);
  });

  it('takes a photo as its own bytes and gives the same bytes back, never for inline display', async () => {
    const posted = await app.inject({ method: 'POST', url: `/telehealth/sessions/${SESSION}/files`, headers: { ...as('pat-1'), 'content-type': 'image/png' }, payload: PNG });
    expect(posted.statusCode, posted.body).toBe(201);
    expect(posted.json()).toMatchObject({ kind: 'file', contentType: 'image/png', size: PNG.length });
    expect(posted.json().text).toBeUndefined();
    const content = await app.inject({ method: 'GET', url: `/telehealth/sessions/${SESSION}/messages/${posted.json().id}/content`, headers: as('doc-1') });
    expect(content.statusCode).toBe(200);
    expect(content.headers['content-type']).toBe('image/png');
    expect(content.headers['content-disposition']).toBe('attachment');
    expect(content.rawPayload.equals(PNG)).toBe(true);
  });

  it('refuses an oversized file (413), a type it does not take and bytes that are not what they claim (415), storing nothing', async () => {
    const before = { rows: stored(), communications: (await communications()).length };
    const big = Buffer.concat([PNG, Buffer.alloc(10 * 1024 * 1024)]);
    const tooBig = await app.inject({ method: 'POST', url: `/telehealth/sessions/${SESSION}/files`, headers: { ...as('pat-1'), 'content-type': 'image/png' }, payload: big });
    expect(tooBig.statusCode).toBe(413);
    const html = await app.inject({ method: 'POST', url: `/telehealth/sessions/${SESSION}/files`, headers: { ...as('pat-1'), 'content-type': 'text/html' }, payload: '<script>alert(1)</script>' });
    expect(html.statusCode).toBe(415);
    expect(html.json().issue[0].details.text).toMatch(/image\/jpeg, image\/png, application\/pdf/);
    const disguised = await app.inject({ method: 'POST', url: `/telehealth/sessions/${SESSION}/files`, headers: { ...as('pat-1'), 'content-type': 'image/png' }, payload: JPEG });
    expect(disguised.statusCode).toBe(415);
    const pdfClaim = await app.inject({ method: 'POST', url: `/telehealth/sessions/${SESSION}/files`, headers: { ...as('pat-1'), 'content-type': 'application/pdf' }, payload: Buffer.from('MZ\x90\x00 not a pdf') });
    expect(pdfClaim.statusCode).toBe(415);
    const empty = await app.inject({ method: 'POST', url: `/telehealth/sessions/${SESSION}/messages`, headers: as('pat-1'), payload: { text: '   ' } });
    expect(empty.statusCode).toBe(400);
    expect({ rows: stored(), communications: (await communications()).length }).toEqual(before);
  });

  it('answers a non-participant 403, a closed session 409 and no credential 401', async () => {
    expect((await app.inject({ method: 'GET', url: `/telehealth/sessions/${SESSION}/messages`, headers: as('stranger') })).statusCode).toBe(403);
    expect((await app.inject({ method: 'POST', url: `/telehealth/sessions/${CLOSED}/messages`, headers: as('pat-1'), payload: { text: 'late' } })).statusCode).toBe(409);
    expect((await app.inject({ method: 'GET', url: `/telehealth/sessions/${SESSION}/messages` })).statusCode).toBe(401);
    // Settled before the body is read: an oversized upload without a credential is a 401, not a 413.
    const anonymous = await app.inject({ method: 'POST', url: `/telehealth/sessions/${SESSION}/files`, headers: { 'content-type': 'image/png' }, payload: Buffer.alloc(11 * 1024 * 1024) });
    expect(anonymous.statusCode).toBe(401);
  });

  it('puts nothing of the messages on chain: no text, no file bytes, no ids', async () => {
    const ids = node.db.prepare('SELECT message_id, communication FROM consult_messages').all() as Array<{ message_id: string; communication: string }>;
    const content = await readChainContent(node.chain.descriptor.rpcUrl);
    const needles = ['The itch is worse at night', 'rash photo pixels', 'chat-p', 'chat-enc', SESSION, ...ids.flatMap((row) => [row.message_id, row.communication.split('/')[1]!])];
    expect(findOnChain(content, needles)).toEqual([]);
  });

  it('makes the messages unreadable when the patient is erased (the compartment key is shredded)', async () => {
    vault.shred('Patient/chat-p');
    const listed = await app.inject({ method: 'GET', url: `/telehealth/sessions/${SESSION}/messages`, headers: as('doc-1') });
    expect(listed.statusCode).toBe(410);
    const before = { rows: stored(), communications: (await communications()).length };
    const posted = await app.inject({ method: 'POST', url: `/telehealth/sessions/${SESSION}/messages`, headers: as('doc-1'), payload: { text: 'still there?' } });
    expect(posted.statusCode).toBe(410);
    expect({ rows: stored(), communications: (await communications()).length }).toEqual(before);
  });
});
