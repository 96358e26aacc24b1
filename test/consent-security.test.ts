// Regression tests for issue 12's consent and access findings (3, 4, 7, 11, 12 and the existence
// oracle of 13), on two real in-process nodes and a real anvil chain.

import type { Wallet as WalletType } from 'ethers';
import { Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningNode } from '../gateway/node.js';
import { type ConsentPair, devToken, startConsentPair } from './support/consent-pair.js';

const LAB = [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] }];
const GOOD_REASON = 'unconscious on arrival, suspected anaphylaxis';

function observation(id: string, patientId: string, value = 6.1) {
  return {
    resourceType: 'Observation',
    id,
    status: 'final',
    category: LAB,
    code: { coding: [{ system: 'http://loinc.org', code: '4548-4' }] },
    subject: { reference: `Patient/${patientId}` },
    valueQuantity: { value, unit: '%', system: 'http://unitsofmeasure.org', code: '%' },
  };
}

describe('consent and access security (issue 12)', () => {
  let pair: ConsentPair;
  let a: RunningNode;
  let b: RunningNode;

  beforeAll(async () => {
    pair = await startConsentPair();
    ({ a, b } = pair);
    for (const id of ['sec-p', 'sec-q', 'sec-e', 'sec-w']) await a.store.update('Patient', id, { resourceType: 'Patient', id, gender: 'female' });
    // Re-assigned: version 1 is P's, version 2 is Q's (a chart mix-up corrected).
    await a.store.update('Observation', 'sec-moved', observation('sec-moved', 'sec-p', 1.1));
    await a.store.update('Observation', 'sec-moved', observation('sec-moved', 'sec-q', 2.2));
    await a.store.update('Observation', 'sec-p-obs', observation('sec-p-obs', 'sec-p'));
    await a.store.update('Observation', 'sec-ghost-obs', observation('sec-ghost-obs', 'sec-ghost'));
    await a.store.update('Organization', 'sec-org', { resourceType: 'Organization', id: 'sec-org', name: 'Ward 7' });
    for (let i = 0; i < 3; i++) await a.store.update('Observation', `sec-e-obs-${i}`, observation(`sec-e-obs-${i}`, 'sec-e'));
    await a.store.update('Observation', 'sec-e-moved', observation('sec-e-moved', 'sec-e', 1.5));
    await a.store.update('Observation', 'sec-e-moved', observation('sec-e-moved', 'sec-w', 1.6));
    await b.store.update('Practitioner', 'dr-bob', { resourceType: 'Practitioner', id: 'dr-bob', active: true });
    await b.store.update('Practitioner', 'dr-left', { resourceType: 'Practitioner', id: 'dr-left', active: false });
    await a.consent!.service.grant('sec-q', {
      grantee: { orgId: 'pair-hospital-b' },
      actions: ['access'],
      categories: ['Observation', 'Patient'],
      purposes: ['TREAT'],
      notAfter: Math.floor(Date.now() / 1000) + 3600,
    });
  }, 120_000);

  afterAll(async () => {
    await pair?.stop();
  });

  const asMember = (url: string, claims: Parameters<ConsentPair['memberJwt']>[0] = {}) =>
    a.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${pair.memberJwt(claims)}` } });
  const call = (node: RunningNode, method: 'GET' | 'POST', url: string, token: string, payload?: unknown) =>
    node.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload !== undefined ? { payload: payload as object } : {}) });
  const staffA = () => devToken(a);
  const accessesOf = async (patientId: string) => (await call(a, 'GET', `/consent/patients/${patientId}/accesses`, staffA())).json().accesses as any[];

  describe('finding 3: history decides per version', () => {
    it("never shows another patient's earlier version, and logs the disclosure to the right patient", async () => {
      const response = await asMember('/fhir/Observation/sec-moved/_history');
      expect(response.statusCode, response.body).toBe(200);
      const versions = response.json().entry.map((e: any) => e.resource.meta.versionId);
      expect(versions).toEqual(['2']);
      expect(response.body).not.toContain('Patient/sec-p');
      const pLog = await accessesOf('sec-p');
      expect(pLog.filter((entry) => entry.outcome === 'allowed')).toEqual([]);
      const qLog = await accessesOf('sec-q');
      const entities = JSON.stringify(qLog.map((entry) => entry.auditEvent.entity));
      expect(entities).toContain('Observation/sec-moved/_history/2');
      expect(entities).not.toContain('Observation/sec-moved/_history/1');
    });

    it('decides per version on the other read paths too: batch entries and Provenance of a version', async () => {
      const batch = await a.app.inject({
        method: 'POST',
        url: '/fhir',
        headers: { authorization: `Bearer ${pair.memberJwt({})}`, 'content-type': 'application/fhir+json' },
        payload: {
          resourceType: 'Bundle',
          type: 'batch',
          entry: [{ request: { method: 'GET', url: 'Observation/sec-moved/_history' } }, { request: { method: 'GET', url: 'Observation/sec-moved/_history/1' } }],
        },
      });
      expect(batch.statusCode, batch.body).toBe(200);
      const [history, vread] = batch.json().entry;
      expect(history.resource.entry.map((e: any) => e.resource.meta.versionId)).toEqual(['2']);
      expect(vread.response.status).toMatch(/^403/);
      const provenance = await asMember('/fhir/Provenance?patient=Patient/sec-q&target=Observation/sec-moved/_history/1');
      expect(provenance.json().total ?? 0).toBe(0);
      // Operations are not member interactions: $receipt is refused by the member check, $export
      // only knows SMART tokens and does not recognise a member JWT at all.
      expect((await asMember('/fhir/Observation/sec-moved/_history/1/$receipt')).statusCode).toBe(403);
      const exported = await a.app.inject({
        method: 'GET',
        url: '/fhir/$export',
        headers: { authorization: `Bearer ${pair.memberJwt({})}`, prefer: 'respond-async', accept: 'application/fhir+json' },
      });
      expect(exported.statusCode, exported.body).toBe(401);
    });

    it('refuses vread of the other patient version, as before', async () => {
      expect((await asMember('/fhir/Observation/sec-moved/_history/1')).statusCode).toBe(403);
      expect((await asMember('/fhir/Observation/sec-moved/_history/2')).statusCode).toBe(200);
    });
  });

  describe('finding 13: a member cannot tell whether a resource exists', () => {
    it('answers an existing uncovered resource, a non-patient resource and a missing one alike', async () => {
      const urls = [
        '/fhir/Observation/sec-p-obs',
        '/fhir/Observation/sec-nothing-here',
        '/fhir/Organization/sec-org',
        '/fhir/Observation/sec-p-obs/_history/1',
        '/fhir/Observation/sec-nothing-here/_history/1',
        '/fhir/Observation/sec-p-obs/_history',
        '/fhir/Observation/sec-nothing-here/_history',
        '/fhir/Observation/sec-moved/_history/9',
      ];
      const answers = await Promise.all(urls.map(async (url) => {
        const response = await asMember(url);
        return { status: response.statusCode, text: response.json().issue?.[0]?.details?.text };
      }));
      for (const answer of answers) expect(answer).toEqual(answers[0]);
      expect(answers[0]!.status).toBe(403);
    });
  });

  describe('finding 11: break-glass needs a meaningful reason, an emergency purpose and a known patient', () => {
    it.each([['.'], ['\u200b'], ['  \u200b\u200d\ufeff  '], ['....!!!'], ['ab']])('refuses the reason %j', async (reason) => {
      const response = await asMember('/fhir/Observation/sec-p-obs', { purpose: 'ETREAT', breakGlassReason: reason });
      expect(response.statusCode).toBe(403);
      expect(response.json().issue[0].details.text).toMatch(/reason/);
    });

    it('refuses break-glass for a non-emergency purpose', async () => {
      const response = await asMember('/fhir/Observation/sec-p-obs', { purpose: 'HPAYMT', breakGlassReason: GOOD_REASON });
      expect(response.statusCode).toBe(403);
      expect(response.json().issue[0].details.text).toMatch(/ETREAT/);
    });

    it('answers 404 for an unknown patient and creates neither a key nor a chain event', async () => {
      const outboxBefore = (a.db.prepare('SELECT count(*) AS n FROM consent_emergency_outbox').get() as { n: number }).n;
      const search = await asMember('/fhir/Observation?patient=Patient/sec-ghost', { purpose: 'ETREAT', breakGlassReason: GOOD_REASON });
      expect(search.statusCode, search.body).toBe(404);
      const read = await asMember('/fhir/Observation/sec-ghost-obs', { purpose: 'ETREAT', breakGlassReason: GOOD_REASON });
      expect(read.statusCode, read.body).toBe(404);
      expect(a.consent!.keys.get('sec-ghost')).toBeNull();
      expect((a.db.prepare('SELECT count(*) AS n FROM consent_emergency_outbox').get() as { n: number }).n).toBe(outboxBefore);
    });

    it('still serves a well-founded emergency read', async () => {
      const response = await asMember('/fhir/Observation/sec-p-obs', { purpose: 'ETREAT', breakGlassReason: GOOD_REASON });
      expect(response.statusCode, response.body).toBe(200);
    });

    it('creates no custodial key, session or grant for an unknown patient through the patient API', async () => {
      const staff = staffA();
      expect((await call(a, 'POST', '/consent/patients/sec-ghost/custodial-key', staff)).statusCode).toBe(404);
      expect((await call(a, 'POST', '/consent/patients/sec-ghost/session', staff)).statusCode).toBe(404);
      const grant = await call(a, 'POST', '/consent/patients/sec-ghost/consents', staff, {
        grantee: { orgId: 'pair-hospital-b' },
        actions: ['access'],
        categories: ['Observation'],
        purposes: ['TREAT'],
        notAfter: Math.floor(Date.now() / 1000) + 600,
      });
      expect(grant.statusCode).toBe(404);
      expect(a.consent!.keys.get('sec-ghost')).toBeNull();
    });
  });

  describe('finding 4: erasure and wallet links need more than Consent scopes', () => {
    let attackerWallet: WalletType;
    const linkBody = async (patientId: string, wallet: WalletType) => ({
      address: wallet.address,
      signature: await wallet.signMessage(a.consent!.keys.linkStatement(patientId, wallet.address)),
    });

    beforeAll(() => {
      attackerWallet = new Wallet(Wallet.createRandom().privateKey);
    });

    it('refuses erasure to Consent scopes and to a patient session minted with them', async () => {
      const consentScopes = await pair.tokenAt(a, ['system/Consent.cruds']);
      const direct = await call(a, 'POST', '/consent/patients/sec-e/erase', consentScopes, { reason: 'patient asked in writing, form 12' });
      expect(direct.statusCode, direct.body).toBe(403);
      const session = await call(a, 'POST', '/consent/patients/sec-e/session', consentScopes);
      expect(session.statusCode).toBe(200);
      const viaSession = await call(a, 'POST', '/consent/patients/sec-e/erase', session.json().access_token, { reason: 'patient asked in writing, form 12' });
      expect(viaSession.statusCode, viaSession.body).toBe(403);
      // Even a client holding every SMART scope lacks the dedicated one.
      const everything = await pair.tokenAt(a, ['system/*.cruds']);
      expect((await call(a, 'POST', '/consent/patients/sec-e/erase', everything, { reason: 'patient asked in writing, form 12' })).statusCode).toBe(403);
      expect((await a.store.read('Patient', 'sec-e')).resource.id).toBe('sec-e');
    });

    it("refuses to link an attacker's wallet with Consent scopes or a patient session", async () => {
      const consentScopes = await pair.tokenAt(a, ['system/Consent.cruds']);
      expect((await call(a, 'POST', '/consent/patients/sec-w/wallet', consentScopes, await linkBody('sec-w', attackerWallet))).statusCode).toBe(403);
      const session = (await call(a, 'POST', '/consent/patients/sec-w/session', consentScopes)).json().access_token as string;
      expect((await call(a, 'POST', '/consent/patients/sec-w/wallet', session, await linkBody('sec-w', attackerWallet))).statusCode).toBe(403);
      expect(a.consent!.keys.get('sec-w')).toBeNull();
    });

    it('links a wallet for staff holding the wallet-link scope, with the wallet signature', async () => {
      const linker = await pair.tokenAt(a, ['system/Patient.$link-wallet']);
      const wallet = new Wallet(Wallet.createRandom().privateKey);
      const forged = { address: wallet.address, signature: await attackerWallet.signMessage(a.consent!.keys.linkStatement('sec-w', wallet.address)) };
      expect((await call(a, 'POST', '/consent/patients/sec-w/wallet', linker, forged)).statusCode).toBe(400);
      const linked = await call(a, 'POST', '/consent/patients/sec-w/wallet', linker, await linkBody('sec-w', wallet));
      expect(linked.statusCode, linked.body).toBe(201);
    });

    it.each([[undefined], ['.'], ['\u200b\u200b\u200b\u200b\u200b'], ['asdf']])('refuses erasure with reason %j', async (reason) => {
      const eraser = await pair.tokenAt(a, ['system/Patient.$erase']);
      const response = await call(a, 'POST', '/consent/patients/sec-e/erase', eraser, reason === undefined ? {} : { reason });
      expect(response.statusCode, response.body).toBe(400);
      expect((await a.store.read('Patient', 'sec-e')).resource.id).toBe('sec-e');
    });

    it('erases with the dedicated scope and a reason, and records an anchored AuditEvent with the reason', async () => {
      const eraser = await pair.tokenAt(a, ['system/Patient.$erase']);
      const response = await call(a, 'POST', '/consent/patients/sec-e/erase', eraser, { reason: 'patient asked in writing, form 12' });
      expect(response.statusCode, response.body).toBe(200);
      const [type, id] = (response.json().auditEvent as string).split('/');
      const audit = (await a.store.read(type!, id!)).resource as any;
      expect(JSON.stringify(audit)).toContain('patient asked in writing, form 12');
      expect(JSON.stringify(audit)).not.toContain('sec-e');
      const deadline = Date.now() + 15_000;
      let status = (await a.store.receipt(type!, id!, '1')).status;
      while (status !== 'anchored' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        status = (await a.store.receipt(type!, id!, '1')).status;
      }
      expect(status).toBe('anchored');
    });
  });

  describe('finding 7: erased resources drop out of searches and counts', () => {
    it('keeps search pages and counts working after an erasure', async () => {
      const staff = staffA();
      const all = await call(a, 'GET', '/fhir/Observation?_count=100', staff);
      expect(all.statusCode, all.body).toBe(200);
      const ids = all.json().entry.map((e: any) => e.resource.id);
      expect(ids.some((id: string) => id.startsWith('sec-e-obs'))).toBe(false);
      expect(ids).toContain('sec-e-moved');
      expect(all.json().total).toBe(ids.length);
      const count = await call(a, 'GET', '/fhir/Observation?_summary=count', staff);
      expect(count.json().total).toBe(ids.length);
      // Small pages walk the same set: no page is a 410 and none comes up short.
      const paged: string[] = [];
      for (let offset = 0; offset < ids.length; offset += 2) {
        const page = await call(a, 'GET', `/fhir/Observation?_count=2&_offset=${offset}`, staff);
        expect(page.statusCode, page.body).toBe(200);
        paged.push(...page.json().entry.map((e: any) => e.resource.id));
      }
      expect(paged.sort()).toEqual([...ids].sort());
      // The re-assigned resource stays findable under its current patient.
      const w = await call(a, 'GET', '/fhir/Observation?patient=Patient/sec-w', staff);
      expect(w.json().entry.map((e: any) => e.resource.id)).toEqual(['sec-e-moved']);
      expect((await call(a, 'GET', '/fhir/Observation/sec-e-obs-0', staff)).statusCode).toBe(410);
    });

    it("keeps the history of a resource re-assigned away from the erased patient readable, without the erased version", async () => {
      const history = await call(a, 'GET', '/fhir/Observation/sec-e-moved/_history', staffA());
      expect(history.statusCode, history.body).toBe(200);
      expect(history.json().entry.map((e: any) => e.resource.meta.versionId)).toEqual(['2']);
      expect((await call(a, 'GET', '/fhir/Observation/sec-e-obs-0/_history', staffA())).statusCode).toBe(410);
    });
  });

  describe('finding 12: member JWTs name only practitioners the hospital vouches for', () => {
    const mint = (token: string, body: Record<string, unknown>) =>
      call(b, 'POST', '/consent/member-token', token, { audience: a.config.publicUrl, purpose: 'TREAT', ...body });

    it('mints for an active Practitioner of this hospital', async () => {
      const response = await mint(await pair.tokenAt(b, ['system/*.rs']), { practitioner: 'dr-bob' });
      expect(response.statusCode, response.body).toBe(200);
    });

    it('refuses unknown and inactive practitioners', async () => {
      const reader = await pair.tokenAt(b, ['system/*.rs']);
      expect((await mint(reader, { practitioner: 'dr-invented' })).statusCode).toBe(403);
      expect((await mint(reader, { practitioner: 'dr-left' })).statusCode).toBe(403);
    });

    it('refuses an audience that is not an http(s) base URL', async () => {
      const reader = await pair.tokenAt(b, ['system/*.rs']);
      for (const audience of ['anything', 'ftp://x.example', 'https://user:pw@x.example/', 'https://x.example/?q=1']) {
        expect((await mint(reader, { practitioner: 'dr-bob', audience })).statusCode, audience).toBe(400);
      }
    });

    it('puts a break-glass reason only in tokens minted with the break-glass scope, an emergency purpose and a real reason', async () => {
      const reader = await pair.tokenAt(b, ['system/*.rs']);
      expect((await mint(reader, { practitioner: 'dr-bob', purpose: 'ETREAT', break_glass_reason: GOOD_REASON })).statusCode).toBe(403);
      const emergency = await pair.tokenAt(b, ['system/*.rs', 'system/Patient.$break-glass']);
      expect((await mint(emergency, { practitioner: 'dr-bob', purpose: 'HPAYMT', break_glass_reason: GOOD_REASON })).statusCode).toBe(400);
      expect((await mint(emergency, { practitioner: 'dr-bob', purpose: 'ETREAT', break_glass_reason: '\u200b.' })).statusCode).toBe(400);
      expect((await mint(emergency, { practitioner: 'dr-bob', purpose: 'ETREAT', break_glass_reason: GOOD_REASON })).statusCode).toBe(200);
    });
  });
});
