// The visit note from the host (B) to the patient's home hospital (A): two real nodes on one
// anvil chain, a real consent grant from A's patient to B, the host's durable outbox delivering
// over real HTTP on 127.0.0.1 to the inbox A's telehealth capability mounts, which checks the
// grant on chain and stores the note through A's intake (anchored). For "home down, then up" the
// inbox also runs in an app of its own over A's stores, which the test stops and starts again.
// B's own capability polls the same outbox, knows no URL for A (no TELEHEALTH_MEMBER_URLS here)
// and so leaves these notes alone: a note for a member without a URL waits untouched.

import Fastify, { type FastifyInstance } from 'fastify';
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemberAuthenticator } from '../consent/member-authenticator.js';
import { MemberDirectory } from '../consent/member-directory.js';
import { signMemberJwt } from '../consent/member-jwt.js';
import { loadNodeKeys } from '../keys/node-keys.js';
import type { Hex } from '../ledger/ports.js';
import type { RunningNode } from '../node.js';
import { freePort } from '../server/free-port.js';
import { openConsentTables } from '../store/consent-store.js';
import { openConsultMessageStore } from '../store/consult-message-store.js';
import { Vault } from '../store/vault.js';
import { type ConsentPair, devToken, startConsentPair } from '../../test/support/consent-pair.js';
import { findOnChain, readChainContent } from '../../test/support/chain-scan.js';
import { eventually } from '../../test/support/eventually.js';
import { VisitNoteDelivery, type VisitNoteSession } from './visit-note-delivery.js';
import { homeNoteId, visitNoteInbox } from './visit-note-inbox.js';

describe('visit note delivery to the home hospital', () => {
  let pair: ConsentPair;
  let a: RunningNode;
  let b: RunningNode;
  let inboxPort: number;
  let inboxUrl: string;
  /** Where the host reaches the home node: A itself, or the stand-alone inbox. */
  let homeUrl: string;
  let inbox: FastifyInstance | undefined;
  let delivery: VisitNoteDelivery;
  let hostKey: string;
  let session: VisitNoteSession;

  const startInbox = async () => {
    const masterKey = loadNodeKeys({ dataDir: a.config.dataDir, allowGenerate: false }).masterKey;
    const authenticator = new MemberAuthenticator({
      jtis: openConsentTables(a.db, new Vault(a.db, masterKey)).memberJtis,
      directory: new MemberDirectory(a.chain.members),
      audiences: [inboxUrl],
    });
    inbox = Fastify();
    await inbox.register(
      visitNoteInbox({
        authenticate: (authorization) => authenticator.authenticate(authorization),
        consents: a.chain.consents!,
        patients: a.consent!.keys,
        store: a.store,
      }),
    );
    await inbox.listen({ port: inboxPort, host: '127.0.0.1' });
  };
  const stopInbox = async () => {
    await inbox?.close();
    inbox = undefined;
  };
  const homeNotes = async () => (await a.store.search({ type: 'DocumentReference', params: [], count: 100, offset: 0, summaryCount: false })).resources;
  const write = (over: Partial<VisitNoteSession> = {}, text = 'Contact dermatitis; topical steroid for 7 days; review in 2 weeks.') =>
    delivery.write({ session: { ...session, ...over }, practitionerId: 'dr-host', text });
  const idOf = (reference: string) => reference.split('/') as [string, string, string, string];

  beforeAll(async () => {
    pair = await startConsentPair();
    ({ a, b } = pair);
    inboxPort = await freePort('127.0.0.1');
    inboxUrl = `http://127.0.0.1:${inboxPort}`;
    await a.store.update('Patient', 'vn-pat', { resourceType: 'Patient', id: 'vn-pat', gender: 'male' });
    const grant = await a.consent!.service.grant('vn-pat', {
      grantee: { orgId: 'pair-hospital-b' },
      actions: ['access'],
      categories: ['Encounter', 'DocumentReference'],
      purposes: ['TREAT'],
      notAfter: Math.floor(Date.now() / 1000) + 3600,
    });
    session = {
      encounter: 'Encounter/vn-enc',
      patientReference: null,
      patientAddress: a.consent!.keys.addressOf('vn-pat')!,
      homeMember: a.chain.memberId,
      consentGrantId: grant.grantId,
    };
    hostKey = loadNodeKeys({ dataDir: b.config.dataDir, allowGenerate: false }).memberWallet.privateKey;
    delivery = new VisitNoteDelivery({
      outbox: openConsultMessageStore(b.db).outbox,
      store: b.store,
      self: { memberId: b.chain.memberId, signerKey: hostKey },
      homeUrlOf: (member) => (member === a.chain.memberId ? homeUrl : null),
      pollMs: 50,
      backoffMs: 100,
      maxBackoffMs: 400,
    });
    homeUrl = a.config.publicUrl;
    delivery.start();
  }, 120_000);

  afterAll(async () => {
    await delivery?.stop();
    await stopInbox();
    await pair?.stop();
  });

  it('anchors the note at the host and delivers it once to the home node, which stores it in the patient\'s record, anchored', async () => {
    const written = await write();
    const [, noteId, , noteVersion] = idOf(written.documentReference);
    expect((await b.store.read('DocumentReference', noteId)).resource).toMatchObject({ context: [{ reference: 'Encounter/vn-enc' }], docStatus: 'final' });
    const delivered = await eventually(async () => {
      const status = await delivery.status(noteId, noteVersion);
      expect(status?.status).toBe('delivered');
      return status!;
    });
    const [, homeId, , homeVersion] = idOf(delivered.deliveredRef!);
    expect(homeId).toBe(homeNoteId(b.chain.memberId, noteId));
    const copy = (await a.store.read('DocumentReference', homeId)).resource;
    expect(copy).toMatchObject({
      subject: { reference: 'Patient/vn-pat' },
      identifier: [{ value: noteId }],
      custodian: { identifier: { value: b.chain.memberId } },
    });
    expect(Buffer.from((copy.content as any)[0].attachment.data, 'base64').toString()).toMatch(/Contact dermatitis/);
    await eventually(async () => expect((await a.store.receipt('DocumentReference', homeId, homeVersion)).status).toBe('anchored'));
    await eventually(async () => expect((await b.store.receipt('DocumentReference', noteId, noteVersion)).status).toBe('anchored'));

    // The patient sees it in their view at home, with its receipt.
    const view = await a.app.inject({ method: 'GET', url: '/consent/patients/vn-pat/telehealth-sessions', headers: { authorization: `Bearer ${devToken(a)}` } });
    expect(view.statusCode, view.body).toBe(200);
    expect(view.json().visitNotes).toEqual([
      expect.objectContaining({ documentReference: delivered.deliveredRef, hostMember: b.chain.memberId, receipt: expect.objectContaining({ status: 'anchored' }) }),
    ]);

    // A resend (the host never heard the answer) lands on the same copy: nothing new is stored.
    const before = (await homeNotes()).length;
    const resend = await fetch(`${homeUrl}/telehealth/visit-notes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${hostJwt()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ note: (await b.store.read('DocumentReference', noteId)).resource, patientAddress: session.patientAddress, consentGrantId: session.consentGrantId }),
    });
    expect(resend.status).toBe(200);
    expect(((await resend.json()) as { documentReference: string }).documentReference).toBe(delivered.deliveredRef);
    expect((await homeNotes()).length).toBe(before);
  });

  it('keeps the note while the home node is down and delivers it exactly once when it is back', async () => {
    homeUrl = inboxUrl;
    const before = (await homeNotes()).length;
    const written = await write({}, 'Second opinion concurs; no biopsy needed.');
    const [, noteId, , noteVersion] = idOf(written.documentReference);
    await eventually(async () => expect((await delivery.status(noteId, noteVersion))!.attempts).toBeGreaterThanOrEqual(2));
    const waiting = (await delivery.status(noteId, noteVersion))!;
    expect(waiting.status).toBe('pending');
    expect(waiting.lastError).toMatch(/did not answer/);
    await startInbox();
    await eventually(async () => expect((await delivery.status(noteId, noteVersion))!.status).toBe('delivered'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await homeNotes()).length).toBe(before + 1);
    await stopInbox();
    homeUrl = a.config.publicUrl;
  });

  it('is refused by the home node, with nothing stored there, when no standing consent covers it', async () => {
    const before = (await homeNotes()).length;
    const missing = await write({ consentGrantId: `0x${randomBytes(32).toString('hex')}` as Hex });
    const [, missingId, , missingVersion] = idOf(missing.documentReference);
    const refused = await eventually(async () => {
      const status = await delivery.status(missingId, missingVersion);
      expect(status?.status).toBe('refused');
      return status!;
    });
    expect(refused.lastError).toMatch(/HTTP 403: No consent covers this delivery: the consent grant named is not on chain/);

    // A patient the home node does not hold.
    const stranger = await write({ patientAddress: `0x${'77'.repeat(20)}` as Hex });
    const [, strangerId, , strangerVersion] = idOf(stranger.documentReference);
    await eventually(async () => expect((await delivery.status(strangerId, strangerVersion))!.lastError).toMatch(/HTTP 404: No patient with that address/));

    // Revoked by the patient after the consult: the same grant no longer carries the note.
    await a.consent!.service.revoke('vn-pat', session.consentGrantId);
    const revoked = await write();
    const [, revokedId, , revokedVersion] = idOf(revoked.documentReference);
    await eventually(async () => expect((await delivery.status(revokedId, revokedVersion))!.lastError).toMatch(/revoked the consent grant/));
    expect((await homeNotes()).length).toBe(before);
  });

  it('leaves a note for a member whose URL is not configured waiting, untouched', async () => {
    const written = await write({ homeMember: `0x${'99'.repeat(32)}` as Hex });
    const [, noteId, , noteVersion] = idOf(written.documentReference);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await delivery.status(noteId, noteVersion)).toMatchObject({ status: 'pending', attempts: 0, lastError: null });
  });

  it('refuses a caller that is not a member, or calls for another purpose, before looking at the note', async () => {
    const post = (authorization: string) =>
      fetch(`${homeUrl}/telehealth/visit-notes`, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json' },
        body: JSON.stringify({ note: { resourceType: 'DocumentReference', id: 'x', meta: { versionId: '1' }, content: [{ attachment: {} }] }, patientAddress: session.patientAddress, consentGrantId: session.consentGrantId }),
      });
    expect((await post('Bearer not-a-jwt')).status).toBe(401);
    const outsider = signMemberJwt(`0x${randomBytes(32).toString('hex')}`, { ...claims(), iss: 'pair-hospital-b' });
    expect((await post(`Bearer ${outsider}`)).status).toBe(401);
    const research = await post(`Bearer ${hostJwt('HRESCH')}`);
    expect(research.status).toBe(403);
    expect(JSON.stringify(await research.json())).toMatch(/purpose TREAT/);
  });

  it('puts nothing of the notes on chain: no text, no patient or note ids', async () => {
    const content = await readChainContent(b.chain.descriptor.rpcUrl);
    const noteIds = (await b.store.search({ type: 'DocumentReference', params: [], count: 100, offset: 0, summaryCount: false })).resources.map((note) => note.id!);
    const needles = ['Contact dermatitis', 'Second opinion concurs', 'vn-pat', 'vn-enc', 'dr-host', ...noteIds, ...noteIds.map((id) => homeNoteId(b.chain.memberId, id))];
    expect(findOnChain(content, needles)).toEqual([]);
  });

  function claims(purpose: 'TREAT' | 'HRESCH' = 'TREAT') {
    const now = Math.floor(Date.now() / 1000);
    return { iss: b.chain.memberId, sub: 'dr-host', aud: homeUrl, iat: now, exp: now + 60, jti: randomUUID(), purpose };
  }

  function hostJwt(purpose: 'TREAT' | 'HRESCH' = 'TREAT') {
    return signMemberJwt(hostKey, claims(purpose));
  }
});
