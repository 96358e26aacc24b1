// The whole cross-institution consult of issue #14 on a local consortium: one anvil chain and three
// real node processes. Hospital A (hospital-1) is the patient's home, B (hospital-2) hosts the
// consult, C (hospital-3) sends a specialist and a student observer; the licensing board licenses
// the practitioners with `careledger licence`. Real HTTP, real WebSockets, real SQLite, a real
// WebRTC connection (werift) whose ICE candidates travel only through B's relay, a paging system
// listening for the escalation webhook. The its run in order and tell the consult; the negative
// cases (no consent, a revoked licence, a revoked consent mid-session, bad join tokens, an
// observer's offer, malformed and oversized frames) sit where they happen. It ends with the scan
// of the whole chain for anything identifying.

import Database from 'better-sqlite3';
import { Contract, Wallet, type JsonRpcProvider, type TypedDataField } from 'ethers';
import { createHmac } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resourceDigest } from '../../gateway/crypto/digest.js';
import { merkleRoot } from '../../gateway/crypto/merkle.js';
import type { DevFile } from '../../gateway/dev-file.js';
import { loadNodeKeys } from '../../gateway/keys/node-keys.js';
import { EvmAnchorPort } from '../../gateway/ledger/evm/anchor-port.js';
import { consentRegistryInterface } from '../../gateway/ledger/evm/consent-port.js';
import { openEvmClient } from '../../gateway/ledger/evm/open-client.js';
import { createEvmProvider } from '../../gateway/ledger/evm/provider.js';
import { EvmTelehealthPort } from '../../gateway/ledger/evm/telehealth-port.js';
import { TelehealthFinalState, TelehealthInviteRole, type Hex, type LedgerClient, type TelehealthChainEvent } from '../../gateway/ledger/ports.js';
import { verifyReceipt } from '../../gateway/receipts/verify.js';
import { JoinTokens, deriveJoinTokenKey } from '../../gateway/telehealth/join-token.js';
import { sessionIdHash } from '../../gateway/telehealth/session-service.js';
import { RelayCloseCode } from '../../gateway/telehealth/signaling-messages.js';
import { startConsortium, type HospitalNode, type RunningConsortium } from '../../network/local-consortium.js';
import { findOnChain, readChainContent } from '../support/chain-scan.js';
import { runCli } from '../support/cli.js';
import { EventStreamReader } from '../support/event-stream-reader.js';
import { eventually } from '../support/eventually.js';
import { freePortRange } from '../support/free-port-range.js';
import { startLoopbackStun, type LoopbackStun } from '../support/loopback-stun.js';
import { SignalingClient, newSessionId } from '../support/telehealth-relay-fixture.js';
import { RelayedPeer } from '../support/webrtc-peer.js';

// Distinctive values, so the chain scan can look for them byte for byte.
const PATIENT = { id: 'thpat-Kx94vQ', family: 'Zorbelwick', given: 'Amarantha', mrn: 'MRN-TH-559031', birthDate: '1948-11-02' };
const HOST_DR = { id: 'thdr-Ylvaine', name: 'Ylvaine Dromstadt', licenceNumber: 'MA-TH-771203' };
const SPECIALIST = { id: 'thdr-Osmerek', name: 'Osmerek Thallowby', licenceNumber: 'NY-TH-338812' };
const OBSERVER = { id: 'thstu-Pellowan', name: 'Pellowan Grisk' };
/** A practitioner of C nobody invited. */
const STRANGER = { id: 'thdr-Strangwell', name: 'Hobart Strangwell' };
const BOOKING_REASON = 'Spreading Drakhollow rash on the left forearm';
const ESCALATION_REASON = 'Sudden stridor after a Vexomil dose, query angioedema';
const CHAT = 'The Drakhollow patch itches more at night since Tuesday';
const VISIT_NOTE = 'Plan: Vexomil stopped; Zorbelwick to follow up at home hospital in 7 days.';
const WEBHOOK_SECRET = 'paging-secret-for-the-e2e-0001';
/** Every ejection (revoked consent, revoked licence, closed session) must end sockets within this. */
const EJECTION_LIMIT_MS = 5_000;

interface Answer {
  status: number;
  body: any;
}

interface Page {
  headers: IncomingHttpHeaders;
  body: string;
}

const output: string[] = [];
const timings: Record<string, number> = {};

describe('a cross-institution telehealth consult on three node processes', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'careledger-consult-e2e-'));
  let consortium: RunningConsortium;
  let A: HospitalNode;
  let B: HospitalNode;
  let C: HospitalNode;
  const dev: Record<string, DevFile> = {};
  let rpc: JsonRpcProvider;
  let registry: EvmTelehealthPort;
  let board: LedgerClient;
  let stun: LoopbackStun;
  let paging: Server;
  const pages: Page[] = [];
  const open: SignalingClient[] = [];
  const streams: EventStreamReader[] = [];
  const peers: RelayedPeer[] = [];

  // Keys: the patient's wallet (they sign their own consent), the host provider's and the
  // specialist's licence keys (the subjects of their licence credentials).
  const wallet = new Wallet(Wallet.createRandom().privateKey);
  const providerKey = new Wallet(Wallet.createRandom().privateKey);
  const specialistKey = new Wallet(Wallet.createRandom().privateKey);
  let specialistCredential: Hex;

  let patientToken: string;
  let slots: string[];
  let sessionId: string;
  let noConsentSession: string;
  let revokedSession: string;
  let view: any;
  let specialistId: string;
  let observerId: string;
  let grantId: Hex;
  const sockets: Record<string, SignalingClient> = {};
  const notices: Record<string, EventStreamReader> = {};

  beforeAll(async () => {
    const started = performance.now();
    paging = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        pages.push({ headers: request.headers, body });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => paging.listen(0, '127.0.0.1', resolve));
    stun = await startLoopbackStun();
    consortium = await startConsortium({
      hospitals: 3,
      dataDir,
      basePort: await freePortRange(3),
      env: {
        LOG_LEVEL: 'warn',
        BATCH_MAX_AGE_MS: '200',
        TELEHEALTH_ESCALATION_WEBHOOK_URL: `http://127.0.0.1:${(paging.address() as AddressInfo).port}/page`,
        TELEHEALTH_ESCALATION_WEBHOOK_SECRET: WEBHOOK_SECRET,
      },
      onOutput: (orgId, line) => output.push(`[${orgId}] ${line}`),
    });
    [A, B, C] = consortium.hospitals as [HospitalNode, HospitalNode, HospitalNode];
    timings.consortiumUpMs = performance.now() - started;
    // A node answers /health before it writes dev.json.
    for (const h of consortium.hospitals) {
      for (const deadline = Date.now() + 20_000; !existsSync(join(h.dataDir, 'dev.json')) && Date.now() < deadline; ) await sleep(50);
      dev[h.orgId] = JSON.parse(readFileSync(join(h.dataDir, 'dev.json'), 'utf8')) as DevFile;
    }
    rpc = createEvmProvider({ rpcUrl: consortium.rpcUrl, chainId: consortium.chainId, pollingIntervalMs: 50 });
    registry = new EvmTelehealthPort(consortium.contracts.TelehealthRegistry!, rpc, null);
    board = await openEvmClient({ kind: 'evm', ...consortium, contracts: consortium.contracts as Record<string, Hex> }, { privateKey: loadNodeKeys({ dataDir: consortium.licensingBoard.dataDir, allowGenerate: false }).memberWallet.privateKey, pollingIntervalMs: 50 });

    // The licensing board licenses both practitioners as an operator does (the CLI), while the
    // hospitals set up their records: the patient at A, the practitioners at B and C.
    const licensed = Promise.all([licence(providerKey.address, HOST_DR.licenceNumber, 'US-MA'), licence(specialistKey.address, SPECIALIST.licenceNumber, 'US-NY')]);
    const patient = await api(A, 'PUT', `/fhir/Patient/${PATIENT.id}`, staff(A), {
      resourceType: 'Patient',
      id: PATIENT.id,
      identifier: [{ system: 'urn:oid:2.16.840.1.113883.19.5', value: PATIENT.mrn }],
      name: [{ family: PATIENT.family, given: [PATIENT.given] }],
      birthDate: PATIENT.birthDate,
    });
    expect(patient.status, JSON.stringify(patient.body)).toBe(201);
    for (const [h, who] of [[B, HOST_DR], [C, SPECIALIST], [C, OBSERVER], [C, STRANGER]] as const) {
      const [family, given] = who.name.split(' ').reverse();
      const put = await api(h, 'PUT', `/fhir/Practitioner/${who.id}`, staff(h), { resourceType: 'Practitioner', id: who.id, active: true, name: [{ family, given: [given] }] });
      expect(put.status, JSON.stringify(put.body)).toBe(201);
    }
    // The patient holds a wallet: A links it (proof of control), and the patient signs their own consents with it.
    patientToken = (await api(A, 'POST', `/consent/patients/${PATIENT.id}/session`, staff(A))).body.access_token;
    const statement = (await api(A, 'GET', `/consent/patients/${PATIENT.id}/wallet-link-statement?address=${wallet.address}`, patientToken)).body.statement;
    const linked = await api(A, 'POST', `/consent/patients/${PATIENT.id}/wallet`, staff(A), { address: wallet.address, signature: await wallet.signMessage(statement) });
    expect(linked.status, JSON.stringify(linked.body)).toBe(201);
    specialistCredential = (await licensed)[1];
    timings.setupMs = performance.now() - started;
  }, 180_000);

  afterAll(async (context) => {
    if (context.tasks?.some?.((t: { result?: { state?: string } }) => t.result?.state === 'fail')) console.log(output.join('\n'));
    console.log(`consult end to end: ${JSON.stringify(Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v)])))}`);
    for (const reader of streams) reader.close();
    for (const client of open) client.socket.terminate();
    for (const peer of peers) await peer.pc.close();
    await board?.close();
    rpc?.destroy();
    await consortium?.stop();
    await stun?.close();
    paging?.closeAllConnections();
    await new Promise((resolve) => paging?.close(resolve));
    rmSync(dataDir, { recursive: true, force: true });
  });

  const staff = (h: HospitalNode) => dev[h.orgId]!.token;
  const wsBase = () => B.baseUrl.replace(/^http/, 'ws');

  async function licence(subject: string, number: string, jurisdiction: string): Promise<Hex> {
    const run = await runCli(
      ['licence', 'issue', '--consortium', join(dataDir, 'consortium.json'), '--subject', subject, '--jurisdiction', jurisdiction, '--degree', 'MD', '--specialty', 'nucc|207RC0000X', '--number', number,
        '--valid-until', new Date(Date.now() + 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z'), '--json'],
      { DATA_DIR: consortium.licensingBoard.dataDir },
      // A CLI process compiles the code it runs (tsx): seconds on a quiet machine, far more on a busy one.
      150_000,
    );
    expect(run.code, `${run.stderr}${run.stdout}`).toBe(0);
    return (JSON.parse(run.stdout) as { credentialHash: Hex }).credentialHash;
  }

  /** A member JWT of C for one of its practitioners, addressed to B (single use: one per call). */
  async function memberToken(practitioner: string): Promise<string> {
    const issued = await api(C, 'POST', '/consent/member-token', staff(C), { practitioner, audience: B.baseUrl, purpose: 'TREAT' });
    expect(issued.status, JSON.stringify(issued.body)).toBe(200);
    return issued.body.token as string;
  }

  /** A patient session for B, issued by the patient's home node A. */
  async function patientSession(): Promise<string> {
    const issued = await api(A, 'POST', '/telehealth/patient-assertions', patientToken, { audience: B.baseUrl });
    expect(issued.status, JSON.stringify(issued.body)).toBe(200);
    return issued.body.token as string;
  }

  /** Joins as a clinical participant: the host's challenge signed with the licence key. */
  async function clinicalJoin(session: string, credential: () => Promise<string>, key: Wallet): Promise<Answer> {
    const challenge = await api(B, 'POST', `/telehealth/sessions/${session}/join-challenge`, await credential());
    expect(challenge.status, JSON.stringify(challenge.body)).toBe(200);
    return api(B, 'POST', `/telehealth/sessions/${session}/join`, await credential(), {
      holderProof: { nonce: challenge.body.nonce, signature: await key.signMessage(challenge.body.message) },
    });
  }

  /** Opens the relay socket with a join token, waits for the welcome, and keeps it alive with heartbeats. */
  async function enter(session: string, token: string): Promise<SignalingClient> {
    const client = await SignalingClient.open(wsBase(), session, token);
    open.push(client);
    await client.next((m) => m.type === 'welcome', 15_000);
    const beat = setInterval(() => client.socket.readyState === client.socket.OPEN && client.send({ type: 'heartbeat' }), 5000);
    void client.closed.then(() => clearInterval(beat));
    return client;
  }

  /** A socket that must be refused: its close code and reason. */
  async function refusedSocket(session: string, token: string | null): Promise<{ code: number; reason: string }> {
    const client = await SignalingClient.open(wsBase(), session, token);
    open.push(client);
    return client.closed;
  }

  async function listen(grant: { notificationToken: string; eventsPath: string }, lastEventId?: number): Promise<EventStreamReader> {
    const reader = await EventStreamReader.open(`${B.baseUrl}${grant.eventsPath}`, grant.notificationToken, lastEventId);
    streams.push(reader);
    return reader;
  }

  function journalOf(h: HospitalNode): number {
    const db = new Database(join(h.dataDir, 'careledger.db'), { readonly: true });
    try {
      return (db.prepare('SELECT COUNT(*) AS n FROM journal').get() as { n: number }).n;
    } finally {
      db.close();
    }
  }

  async function chainEventsOf(session: string): Promise<TelehealthChainEvent[]> {
    const hash = sessionIdHash(session);
    const all = await registry.events(0, await registry.latestBlock());
    return all.filter((event) => ('session' in event ? event.session.sessionIdHash : event.sessionIdHash) === hash);
  }

  it('books at B through a patient session from A; of two bookings of one Slot in flight, exactly one wins', async () => {
    const schedule = await api(B, 'POST', '/telehealth/schedules', staff(B), { practitioner: HOST_DR.id });
    expect(schedule.status, JSON.stringify(schedule.body)).toBe(201);
    slots = [];
    for (const start of ['2030-05-06T09:00:00Z', '2030-05-06T10:00:00Z', '2030-05-06T11:00:00Z']) {
      const slot = await api(B, 'POST', `/telehealth/schedules/${schedule.body.id}/slots`, staff(B), { start, end: start.replace(':00:00Z', ':30:00Z') });
      expect(slot.status, JSON.stringify(slot.body)).toBe(201);
      slots.push(slot.body.id);
    }
    const assertion = await patientSession();
    const free = await api(B, 'GET', '/telehealth/slots', assertion);
    expect(free.status).toBe(200);
    expect(free.body.slots.map((s: any) => s.id).sort()).toEqual([...slots].sort());

    const journal = journalOf(B);
    const [first, second] = await Promise.all([
      api(B, 'POST', '/telehealth/appointments', assertion, { slot: slots[0], reason: BOOKING_REASON }),
      api(B, 'POST', '/telehealth/appointments', staff(B), { slot: slots[0], patient: wallet.address, homeMember: A.orgId }),
    ]);
    expect([first.status, second.status].sort()).toEqual([201, 409]);
    const won = first.status === 201 ? first : second;
    const lost = first.status === 201 ? second : first;
    expect(lost.body.resourceType).toBe('OperationOutcome');
    view = won.body;
    sessionId = view.sessionId;
    expect(view.state).toBe('scheduled');
    // Only the winner wrote: the tentative hold, then Appointment, Encounter, Slot and the AuditEvent.
    expect(journalOf(B)).toBe(journal + 5);
    expect((await api(B, 'GET', `/fhir/${view.slot}`, staff(B))).body.status).toBe('busy');
    const appointment = await api(B, 'GET', `/fhir/${view.appointment}`, staff(B));
    expect(appointment.body.status).toBe('booked');
    expect(appointment.body.virtualService[0].sessionKey).toBe(sessionId);
    const encounter = await api(B, 'GET', `/fhir/${view.encounter}`, staff(B));
    expect(encounter.body.virtualService[0].sessionKey).toBe(sessionId);
    expect(JSON.stringify(encounter.body.class)).toMatch(/"VR"/);
  });

  it('refuses check-in without a consent to B: 403, nothing stored, nothing for the chain', async () => {
    const assertion = await patientSession();
    const booked = await api(B, 'POST', '/telehealth/appointments', assertion, { slot: slots[2] });
    expect(booked.status, JSON.stringify(booked.body)).toBe(201);
    noConsentSession = booked.body.sessionId;
    const journal = journalOf(B);
    const refused = await api(B, 'POST', `/telehealth/sessions/${noConsentSession}/check-in`, assertion);
    expect(refused.status).toBe(403);
    expect(refused.body.resourceType).toBe('OperationOutcome');
    expect(refused.body.issue[0].details.text).toMatch(/no consent/);
    expect(journalOf(B)).toBe(journal);
    const after = await api(B, 'GET', `/telehealth/sessions/${noConsentSession}`, assertion);
    expect(after.body.state).toBe('scheduled');
    expect(after.body.chain).toEqual([]);
    expect(await registry.getSession(sessionIdHash(noConsentSession))).toBeNull();
    // The patient cancels it: the slot is free again and, never opened, it never reaches the chain.
    expect((await api(B, 'POST', `/telehealth/sessions/${noConsentSession}/cancel`, assertion)).body.state).toBe('cancelled');
  });

  it('checks in under the consent the patient signed for B (TREAT) and opens the session on chain in the background', async () => {
    const terms = { grantee: { orgId: B.orgId }, actions: ['access'], categories: ['Encounter'], purposes: ['TREAT'], notAfter: Math.floor(Date.now() / 1000) + 3600 };
    const request = await api(A, 'POST', `/consent/patients/${PATIENT.id}/consent-requests`, patientToken, terms);
    expect(request.status, JSON.stringify(request.body)).toBe(200);
    const { domain, types, message } = request.body;
    const signature = await wallet.signTypedData(domain, types as Record<string, TypedDataField[]>, message);
    const granted = await api(A, 'POST', `/consent/patients/${PATIENT.id}/consents`, patientToken, { ...terms, notBefore: message.notBefore, nonce: message.nonce, signature });
    expect(granted.status, JSON.stringify(granted.body)).toBe(201);
    grantId = granted.body.grantId;

    const assertion = await patientSession();
    const started = performance.now();
    const checkIn = await api(B, 'POST', `/telehealth/sessions/${sessionId}/check-in`, assertion);
    timings.checkInMs = performance.now() - started;
    expect(checkIn.status, JSON.stringify(checkIn.body)).toBe(200);
    expect(checkIn.body.state).toBe('checked-in');
    expect(checkIn.body.consentGrantId).toBe(grantId);
    expect((await api(B, 'GET', `/fhir/${view.appointment}`, staff(B))).body.status).toBe('checked-in');
    const opened = await eventually(async () => {
      const record = await registry.getSession(sessionIdHash(sessionId));
      expect(record).not.toBeNull();
      return record!;
    }, 15_000);
    expect(opened).toMatchObject({ hostMember: B.memberId, homeMember: A.memberId, patient: wallet.address.toLowerCase(), consentGrantId: grantId, closedAt: null });
  });

  it('seats the patient in the waiting room and tells the provider; admission tells the patient', async () => {
    const assertion = await patientSession();
    const patientGrant = await api(B, 'POST', `/telehealth/sessions/${sessionId}/notification-token`, assertion);
    expect(patientGrant.status, JSON.stringify(patientGrant.body)).toBe(200);
    notices.patient = await listen(patientGrant.body);
    const providerGrant = await api(B, 'POST', `/telehealth/sessions/${sessionId}/notification-token`, staff(B));
    expect(providerGrant.status).toBe(200);
    notices.provider = await listen(providerGrant.body);

    expect((await api(B, 'POST', `/telehealth/sessions/${sessionId}/arrive`, assertion)).body.state).toBe('waiting');
    expect((await api(B, 'GET', `/fhir/${view.appointment}`, staff(B))).body.status).toBe('arrived');
    await notices.provider.until((r) => r.kinds().includes('waiting-room'));
    // Waiting is not admitted: no join token yet.
    expect((await api(B, 'POST', `/telehealth/sessions/${sessionId}/join`, await patientSession())).status).toBe(409);

    // Admission needs the provider's licence valid now: an unlicensed key is refused, changing nothing.
    expect((await api(B, 'POST', `/telehealth/sessions/${sessionId}/admit`, staff(B), { licenceSubject: Wallet.createRandom().address })).status).toBe(403);
    const admitted = await api(B, 'POST', `/telehealth/sessions/${sessionId}/admit`, staff(B), { licenceSubject: providerKey.address });
    expect(admitted.status, JSON.stringify(admitted.body)).toBe(200);
    expect(admitted.body.state).toBe('connecting');
    await notices.patient.until((r) => r.kinds().includes('admitted') && r.kinds().includes('provider-ready'));
  });

  it('connects the patient and the provider with WebRTC (werift) through candidates relayed by B, carries a data-channel message, and relays chat through B', async () => {
    const patientJoin = await api(B, 'POST', `/telehealth/sessions/${sessionId}/join`, await patientSession());
    expect(patientJoin.status, JSON.stringify(patientJoin.body)).toBe(200);
    expect(patientJoin.body).toMatchObject({ participantId: 'patient', role: 'patient', permissions: { publish: true } });
    const providerJoin = await clinicalJoin(sessionId, async () => staff(B), providerKey);
    expect(providerJoin.status, JSON.stringify(providerJoin.body)).toBe(200);
    expect(providerJoin.body.role).toBe('provider');
    expect(providerJoin.body.expiresAt * 1000 - Date.now()).toBeLessThanOrEqual(600_000);

    sockets.provider = await enter(sessionId, providerJoin.body.token);
    sockets.patient = await enter(sessionId, patientJoin.body.token);
    const doctor = new RelayedPeer(sockets.provider, 'patient', stun.url);
    const patient = new RelayedPeer(sockets.patient, 'provider', stun.url);
    peers.push(doctor, patient);
    const received = new Promise<string>((resolve) => {
      patient.pc.onDataChannel.subscribe((channel) => channel.onMessage.subscribe((data) => resolve(data.toString())));
    });
    const channel = doctor.pc.createDataChannel('consult');
    const channelOpen = new Promise<void>((resolve) => channel.stateChanged.subscribe((state) => state === 'open' && resolve()));
    const started = performance.now();
    await doctor.offer();
    await Promise.all([doctor.connected(), patient.connected()]);
    await channelOpen;
    channel.send('can you hold the forearm closer to the camera');
    expect(await received).toBe('can you hold the forearm closer to the camera');
    timings.webrtcConnectedMs = performance.now() - started;
    expect(doctor.pc.connectionState).toBe('connected');
    expect(patient.pc.connectionState).toBe('connected');

    // The descriptions went without candidates: ICE worked on those B relayed one by one.
    const offer = await sockets.patient.next((m) => m.type === 'offer');
    expect(offer.sdp as string).not.toMatch(/a=candidate:/);
    const relayed = sockets.patient.received.filter((m) => m.type === 'ice-candidate' && m.candidate !== null);
    expect(doctor.candidatesSent.length).toBeGreaterThan(0);
    expect(relayed.map((m) => m.candidate)).toEqual(doctor.candidatesSent);

    expect((await api(B, 'POST', `/telehealth/sessions/${sessionId}/start`, staff(B))).body.state).toBe('in-progress');
    expect((await api(B, 'GET', `/fhir/${view.encounter}`, staff(B))).body.status).toBe('in-progress');

    // Chat goes through B, sealed and recorded as an anchored Communication; the provider is told and reads it.
    const posted = await api(B, 'POST', `/telehealth/sessions/${sessionId}/messages`, patientJoin.body.notificationToken, { text: CHAT });
    expect(posted.status, JSON.stringify(posted.body)).toBe(201);
    expect(posted.body.communication).toMatch(/^Communication\//);
    await notices.provider.until((r) => r.events.some((e) => e.event === 'message' && (e.data as any).messageId === posted.body.id));
    const read = await api(B, 'GET', `/telehealth/sessions/${sessionId}/messages`, providerJoin.body.notificationToken);
    expect(read.body.messages.map((m: any) => [m.senderRole, m.text])).toEqual([['patient', CHAT]]);
    const communication = await api(B, 'GET', `/fhir/${posted.body.communication.replace(/\/_history\/.*$/, '')}`, staff(B));
    expect(JSON.stringify(communication.body)).not.toContain(CHAT);
  });

  it('invites C\'s specialist (licensed, member JWT, licence key proven) and an observer who can listen but never offer', async () => {
    const invited = await api(B, 'POST', `/telehealth/sessions/${sessionId}/invitations`, staff(B), {
      member: C.orgId,
      practitioner: SPECIALIST.id,
      role: 'specialist',
      licenceSubject: specialistKey.address,
    });
    expect(invited.status, JSON.stringify(invited.body)).toBe(201);
    specialistId = invited.body.participantId;
    const observer = await api(B, 'POST', `/telehealth/sessions/${sessionId}/invitations`, staff(B), { member: C.orgId, practitioner: OBSERVER.id, role: 'observer' });
    expect(observer.status, JSON.stringify(observer.body)).toBe(201);
    observerId = observer.body.participantId;

    // The specialist learns of the invitation on their notification stream (held for them until they listen).
    const notify = await api(B, 'POST', `/telehealth/sessions/${sessionId}/notification-token`, await memberToken(SPECIALIST.id));
    expect(notify.status, JSON.stringify(notify.body)).toBe(200);
    notices.specialist = await listen(notify.body, 0);
    await notices.specialist.until((r) => r.events.some((e) => e.event === 'invited' && (e.data as any).role === 'specialist'));

    // Without the licence key's proof the specialist does not get in; with it they do.
    expect((await api(B, 'POST', `/telehealth/sessions/${sessionId}/join`, await memberToken(SPECIALIST.id))).status).toBe(400);
    const joined = await clinicalJoin(sessionId, () => memberToken(SPECIALIST.id), specialistKey);
    expect(joined.status, JSON.stringify(joined.body)).toBe(200);
    expect(joined.body).toMatchObject({ participantId: specialistId, role: 'specialist', permissions: { publish: true } });
    sockets.specialist = await enter(sessionId, joined.body.token);
    await sockets.patient.next((m) => m.type === 'presence' && m.participantId === specialistId && m.state === 'joined', 15_000);

    // A practitioner of C who was not invited is no participant.
    expect((await api(B, 'POST', `/telehealth/sessions/${sessionId}/join`, await memberToken(STRANGER.id))).status).toBe(403);

    const observerJoin = await api(B, 'POST', `/telehealth/sessions/${sessionId}/join`, await memberToken(OBSERVER.id));
    expect(observerJoin.status, JSON.stringify(observerJoin.body)).toBe(200);
    expect(observerJoin.body.permissions.publish).toBe(false);
    const watching = await enter(sessionId, observerJoin.body.token);
    watching.send({ type: 'offer', to: 'patient', sdp: 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=sendrecv\r\n' });
    expect((await watching.closed).code).toBe(RelayCloseCode.FORBIDDEN);
    // The room is untouched: the offer reached no one and the others are still in.
    await sleep(200);
    expect(sockets.patient.received.filter((m) => m.type === 'offer' && m.from === observerId)).toEqual([]);
    for (const who of ['patient', 'provider', 'specialist']) expect(sockets[who]!.socket.readyState).toBe(sockets[who]!.socket.OPEN);
  });

  it('closes a socket that sends a malformed or an oversized frame, or brings a replayed, foreign, expired or missing token, leaving the room as it was', async () => {
    const observerToken = async () => {
      const joined = await api(B, 'POST', `/telehealth/sessions/${sessionId}/join`, await memberToken(OBSERVER.id));
      expect(joined.status, JSON.stringify(joined.body)).toBe(200);
      return joined.body.token as string;
    };
    const [first, second, third, fourth] = [await observerToken(), await observerToken(), await observerToken(), await observerToken()];
    // A token B itself signed for the observer eleven minutes ago has expired (at most 10 minutes).
    const claims = JSON.parse(Buffer.from(first.split('.')[1]!, 'base64url').toString('utf8')) as { iss: string; aud: string };
    const elevenMinutesAgo = new JoinTokens({
      key: deriveJoinTokenKey(loadNodeKeys({ dataDir: B.dataDir, allowGenerate: false }).masterKey),
      issuer: claims.iss,
      audience: claims.aud,
      ids: { claim: async () => true, purgeExpired: async () => 0 },
      now: () => Date.now() - 660_000,
    });
    const expired = await elevenMinutesAgo.issue(sessionId, { participantId: observerId, role: 'observer', member: C.memberId, permissions: { publish: false, chat: false } });
    const journal = journalOf(B);
    const onChain = (await chainEventsOf(sessionId)).length;

    const malformed = await enter(sessionId, first);
    malformed.send('{"type":"offer","to":');
    expect((await malformed.closed).code).toBe(RelayCloseCode.MALFORMED);
    const oversized = await enter(sessionId, second);
    oversized.send({ type: 'ice-candidate', to: 'patient', candidate: { candidate: 'x'.repeat(70_000) } });
    expect((await oversized.closed).code).toBe(RelayCloseCode.TOO_LARGE);
    const used = await enter(sessionId, third);
    expect(await refusedSocket(sessionId, third)).toMatchObject({ code: RelayCloseCode.BAD_TOKEN, reason: expect.stringContaining('used already') });
    used.close();
    // A token of this session presented at another session's socket, an expired one, none at all.
    expect(await refusedSocket(newSessionId(), fourth)).toMatchObject({ code: RelayCloseCode.BAD_TOKEN, reason: expect.stringContaining('another session') });
    expect(await refusedSocket(sessionId, expired.token)).toMatchObject({ code: RelayCloseCode.BAD_TOKEN, reason: expect.stringContaining('expired') });
    expect((await refusedSocket(sessionId, null)).code).toBe(RelayCloseCode.BAD_TOKEN);
    // Signaling is never stored, and none of it reaches the chain.
    expect(journalOf(B)).toBe(journal);
    expect((await chainEventsOf(sessionId)).length).toBe(onChain);
    for (const who of ['patient', 'provider', 'specialist']) expect(sockets[who]!.socket.readyState).toBe(sockets[who]!.socket.OPEN);
  });

  it('escalates with a severity: the chain gets a salted hash, the participants a notice, the paging system a signed webhook', async () => {
    const escalated = await api(B, 'POST', `/telehealth/sessions/${sessionId}/escalations`, staff(B), { severity: 4, reason: ESCALATION_REASON });
    expect(escalated.status, JSON.stringify(escalated.body)).toBe(201);
    expect(escalated.body.reasonHash).toMatch(/^0x[0-9a-f]{64}$/);
    await notices.patient.until((r) => r.events.some((e) => e.event === 'escalation' && (e.data as any).severity === 4));
    const page = await eventually(() => {
      expect(pages.length).toBeGreaterThan(0);
      return pages[0]!;
    }, 10_000);
    const event = JSON.parse(page.body);
    expect(event).toMatchObject({ event: 'telehealth.escalation', sessionId, severity: 4, hostMember: B.memberId });
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(page.headers['x-careledger-signature'] as string)!;
    expect(v1).toBe(createHmac('sha256', WEBHOOK_SECRET).update(`${t}.${page.body}`).digest('hex'));
    expect(page.body).not.toContain(ESCALATION_REASON);
    await eventually(async () => expect((await chainEventsOf(sessionId)).some((e) => e.kind === 'escalated' && e.severity === 4)).toBe(true), 10_000);
  });

  it('ejects the specialist within 5 s of their licence being revoked, and keeps them out; the others stay', async () => {
    const revoked = await board.licences!.revoke(specialistCredential);
    const minedAt = Date.now();
    const closed = await Promise.race([sockets.specialist!.closed, sleep(EJECTION_LIMIT_MS + 2_000).then(() => null)]);
    timings.licenceEjectionMs = Date.now() - minedAt;
    expect(revoked.txHash).toMatch(/^0x/);
    expect(closed?.code).toBe(RelayCloseCode.LICENCE_INVALID);
    expect(timings.licenceEjectionMs).toBeLessThan(EJECTION_LIMIT_MS);
    await notices.specialist.until((r) => r.ended);
    const rejoin = await clinicalJoin(sessionId, () => memberToken(SPECIALIST.id), specialistKey);
    expect(rejoin.status).toBe(403);
    expect(rejoin.body.issue[0].details.text).toMatch(/licence-invalid/);
    for (const who of ['patient', 'provider']) expect(sockets[who]!.socket.readyState).toBe(sockets[who]!.socket.OPEN);
  });

  it('wraps up, writes the visit note that A stores and anchors, and completes: the room closes and the close lands on chain', async () => {
    expect((await api(B, 'POST', `/telehealth/sessions/${sessionId}/wrap-up`, staff(B))).body.state).toBe('wrapping-up');
    expect((await api(B, 'GET', `/fhir/${view.encounter}`, staff(B))).body.status).toBe('discharged');
    const note = await api(B, 'POST', `/telehealth/sessions/${sessionId}/visit-note`, staff(B), { text: VISIT_NOTE });
    expect(note.status, JSON.stringify(note.body)).toBe(201);
    expect(note.body.documentReference).toMatch(/^DocumentReference\//);

    const completed = await api(B, 'POST', `/telehealth/sessions/${sessionId}/complete`, staff(B));
    const completedAt = Date.now();
    expect(completed.body.state).toBe('completed');
    const [patientClosed, providerClosed] = await Promise.all([sockets.patient!.closed, sockets.provider!.closed]);
    timings.roomClosedMs = Date.now() - completedAt;
    expect(patientClosed.code).toBe(RelayCloseCode.SESSION_CLOSED);
    expect(providerClosed.code).toBe(RelayCloseCode.SESSION_CLOSED);
    await notices.patient.until((r) => r.events.some((e) => e.event === 'ended') && r.ended);
    expect((await api(B, 'GET', `/fhir/${view.encounter}`, staff(B))).body.status).toBe('completed');
    expect((await api(B, 'GET', `/fhir/${view.appointment}`, staff(B))).body.status).toBe('fulfilled');
    expect((await api(B, 'POST', `/telehealth/sessions/${sessionId}/join`, await patientSession())).status).toBe(409);
    expect((await api(B, 'POST', `/telehealth/sessions/${sessionId}/start`, staff(B))).status).toBe(409);
    // The patient lists their consults at B with their home node's patient session.
    const mine = await api(B, 'GET', '/telehealth/sessions', await patientSession());
    expect(mine.body.sessions.map((s: any) => [s.sessionId, s.state])).toEqual(
      expect.arrayContaining([[sessionId, 'completed'], [noConsentSession, 'cancelled']]),
    );

    // The note arrives at A, in the patient's view there, stored and anchored by A.
    const delivered = await eventually(async () => {
      const seen = await api(A, 'GET', `/consent/patients/${PATIENT.id}/telehealth-sessions`, patientToken);
      expect(seen.status, JSON.stringify(seen.body)).toBe(200);
      expect(seen.body.visitNotes).toHaveLength(1);
      expect(seen.body.visitNotes[0].receipt.status).toBe('anchored');
      return seen.body.visitNotes[0];
    }, 30_000);
    expect(delivered.hostMember).toBe(B.memberId);
    const copy = await api(A, 'GET', `/fhir/${delivered.documentReference.replace(/\/_history\/.*$/, '')}`, staff(A));
    expect(copy.status).toBe(200);
    expect(copy.body.subject.reference).toBe(`Patient/${PATIENT.id}`);
    expect(Buffer.from(copy.body.content[0].attachment.data, 'base64').toString('utf8')).toBe(VISIT_NOTE);
    const anchors = EvmAnchorPort.reader(consortium.contracts.AnchorRegistry as Hex, consortium.chainId, rpc);
    const verdict = await verifyReceipt(copy.body, delivered.receipt.receipt, (member, sequence) => anchors.getAnchor(member, sequence));
    expect(verdict.valid, explain(verdict)).toBe(true);
  });

  it('leaves the session\'s parties, gates and close on chain, the close carrying the root of B\'s anchored AuditEvents', async () => {
    const events = await eventually(async () => {
      const found = await chainEventsOf(sessionId);
      expect(found.map((e) => e.kind)).toContain('closed');
      return found;
    }, 15_000);
    expect(events.map((e) => e.kind)).toEqual(['opened', 'invited', 'invited', 'escalated', 'closed']);
    const invitedRoles = events.filter((e) => e.kind === 'invited').map((e) => (e as { role: number }).role);
    expect(invitedRoles.sort()).toEqual([TelehealthInviteRole.SPECIALIST, TelehealthInviteRole.OBSERVER].sort());
    const invitedMembers = new Set(events.filter((e) => e.kind === 'invited').map((e) => (e as { invitedMember: Hex }).invitedMember));
    expect([...invitedMembers]).toEqual([C.memberId]);
    const close = events.at(-1) as Extract<TelehealthChainEvent, { kind: 'closed' }>;
    expect(close.finalState).toBe(TelehealthFinalState.COMPLETED);
    expect(close.eventLogRoot).toMatch(/^0x[0-9a-f]{64}$/);

    // The session's event log, as B recorded it; each entry an AuditEvent B serves and anchors.
    const db = new Database(join(B.dataDir, 'careledger.db'), { readonly: true });
    const logged = db.prepare('SELECT audit_event_id AS id FROM telehealth_events WHERE session_id = ? ORDER BY seq').all(sessionId) as Array<{ id: string }>;
    db.close();
    const auditEvents = await Promise.all(logged.map(async ({ id }) => (await api(B, 'GET', `/fhir/AuditEvent/${id}`, staff(B))).body));
    const root = `0x${merkleRoot(auditEvents.map((event) => resourceDigest(event))).toString('hex')}`;
    expect(close.eventLogRoot).toBe(root);
    const codes = auditEvents.map((event) => event.code?.coding?.[0]?.code);
    for (const code of ['booked', 'check-in', 'arrive', 'admit', 'join-token-issued', 'start', 'invited', 'escalated', 'wrap-up', 'complete']) expect(codes).toContain(code);
    expect(codes.at(-1)).toBe('complete');
    // The patient sees the session B hosted, with these events, in their view at home: A asks B.
    const atHome = await api(A, 'GET', `/consent/patients/${PATIENT.id}/telehealth-sessions`, patientToken);
    expect(atHome.status, JSON.stringify(atHome.body)).toBe(200);
    expect(atHome.body.unavailable).toEqual([]);
    const hostedByB = atHome.body.elsewhere.find((group: any) => group.member === B.memberId);
    expect(hostedByB.orgId).toBe(B.orgId);
    const seenAtHome = hostedByB.sessions.find((s: any) => s.sessionKey === sessionId);
    expect(seenAtHome.state).toBe('completed');
    expect(seenAtHome.events.map((e: any) => e.auditEvent.split('/')[1])).toEqual(logged.map(({ id }) => id));
    // Every one is anchored at B, and so is the completed Encounter a claim will cite.
    const anchors = EvmAnchorPort.reader(consortium.contracts.AnchorRegistry as Hex, consortium.chainId, rpc);
    for (const reference of [`AuditEvent/${logged.at(-1)!.id}`, view.encounter as string]) {
      const current = (await api(B, 'GET', `/fhir/${reference}`, staff(B))).body;
      const receipt = await eventually(async () => {
        const answer = await api(B, 'GET', `/fhir/${reference}/_history/${current.meta.versionId}/$receipt`, staff(B));
        expect(answer.status).toBe(200);
        return answer.body;
      }, 20_000);
      const verdict = await verifyReceipt(current, receipt, (member, sequence) => anchors.getAnchor(member, sequence));
      expect(verdict.valid, `${reference}: ${explain(verdict)}`).toBe(true);
    }
  });

  it('ends every participant\'s connection within 5 s when the patient revokes the consent mid-session', async () => {
    const assertion = await patientSession();
    const booked = await api(B, 'POST', '/telehealth/appointments', assertion, { slot: slots[1] });
    expect(booked.status, JSON.stringify(booked.body)).toBe(201);
    const second = booked.body.sessionId as string;
    revokedSession = second;
    for (const step of ['check-in', 'arrive']) expect((await api(B, 'POST', `/telehealth/sessions/${second}/${step}`, assertion)).status).toBe(200);
    expect((await api(B, 'POST', `/telehealth/sessions/${second}/admit`, staff(B), { licenceSubject: providerKey.address })).status).toBe(200);
    const patientJoin = await api(B, 'POST', `/telehealth/sessions/${second}/join`, await patientSession());
    const providerJoin = await clinicalJoin(second, async () => staff(B), providerKey);
    const patientSocket = await enter(second, patientJoin.body.token);
    const providerSocket = await enter(second, providerJoin.body.token);
    const patientStream = await listen(patientJoin.body);

    // The patient revokes from their own wallet, straight on chain: no hospital involved.
    const consents = new Contract(consortium.contracts.ConsentRegistry!, consentRegistryInterface, wallet.connect(rpc));
    await (await consents.getFunction('revoke')(grantId, { gasPrice: 0, type: 0 })).wait();
    const minedAt = Date.now();
    const closed = await Promise.race([Promise.all([patientSocket.closed, providerSocket.closed]), sleep(EJECTION_LIMIT_MS + 2_000).then(() => null)]);
    timings.consentEjectionMs = Date.now() - minedAt;
    expect(closed?.map((c) => c.code)).toEqual([RelayCloseCode.CONSENT_REVOKED, RelayCloseCode.CONSENT_REVOKED]);
    expect(timings.consentEjectionMs).toBeLessThan(EJECTION_LIMIT_MS);
    await patientStream.until((r) => r.ended);

    const ended = await api(B, 'GET', `/telehealth/sessions/${second}`, staff(B));
    expect(ended.body.state).toBe('cancelled');
    // No way back in, and the cancelled close goes on chain.
    expect((await api(B, 'POST', `/telehealth/sessions/${second}/join`, await patientSession())).status).toBe(409);
    await eventually(async () => {
      const record = await registry.getSession(sessionIdHash(second));
      expect(record?.finalState).toBe(TelehealthFinalState.CANCELLED);
    }, 15_000);
  });

  it('puts nothing identifying on chain (nor in the nodes\' logs): no name, MRN, birth date, practitioner, licence number, session id or reason', async () => {
    const content = await readChainContent(consortium.rpcUrl);
    expect(content.transactions).toBeGreaterThan(10);
    expect(content.logs).toBeGreaterThan(10);
    const needles = [
      PATIENT.id,
      PATIENT.family,
      PATIENT.given,
      PATIENT.mrn,
      PATIENT.birthDate,
      PATIENT.birthDate.replace(/-/g, ''),
      HOST_DR.id,
      ...HOST_DR.name.split(' '),
      HOST_DR.licenceNumber,
      SPECIALIST.id,
      ...SPECIALIST.name.split(' '),
      SPECIALIST.licenceNumber,
      OBSERVER.id,
      ...OBSERVER.name.split(' '),
      STRANGER.id,
      sessionId,
      noConsentSession,
      revokedSession,
      BOOKING_REASON,
      ESCALATION_REASON,
      VISIT_NOTE,
      CHAT,
      'Vexomil',
      'Drakhollow',
    ];
    expect(findOnChain(content, needles)).toEqual([]);
    // Nor in what the three nodes logged meanwhile.
    const logged = output.join('\n');
    expect(needles.filter((needle) => logged.includes(needle))).toEqual([]);
    // The never-opened session left no trace at all, not even its hash.
    expect(await chainEventsOf(noConsentSession)).toEqual([]);
  });
});

async function api(h: HospitalNode, method: string, path: string, token: string | null, body?: unknown): Promise<Answer> {
  const response = await fetch(`${h.baseUrl}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as any) : undefined };
}

function explain(verdict: object): string {
  return JSON.stringify(verdict, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
