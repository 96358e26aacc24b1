// Consult workflow figures for `npm run bench`: two real nodes in this process on one embedded
// anvil chain (A the patient's home hospital, B the host), over real HTTP.
//   state change   p50/p95 of one consult step at the host (check-in, arrive, start, wrap-up,
//                  complete: auth, state machine, consent gate, FHIR record + AuditEvent commit,
//                  chain write queued). Target p95 < 50 ms.
//   baseline       the same check-in measured until its TelehealthRegistry opening is in a block,
//                  which is what every step would cost if participants waited for the chain
//                  (anvil mines at once; a QBFT chain adds its 2 s block period on top).
//   join           p50/p95 of a specialist's join token issue: member JWT checked against the
//                  ConsortiumRegistry, live gate (session, invitation, consent), licence read
//                  from LicenceRegistry and ConsortiumRegistry, holder proof, AuditEvent commit.
//                  Target p95 < 100 ms. Its baseline: the bare token signing, no checks.

import { Wallet } from 'ethers';
import { startConsultNodes } from '../support/consult-nodes.js';
import type { RunningNode } from '../../gateway/node.js';
import { JoinTokens, deriveJoinTokenKey } from '../../gateway/telehealth/join-token.js';
import { sessionIdHash } from '../../gateway/telehealth/session-service.js';

export interface TelehealthWorkflowBenchResult {
  sessions: number;
  stateChanges: number;
  stateChangeP50Ms: number;
  stateChangeP95Ms: number;
  baselineP50Ms: number;
  baselineP95Ms: number;
  joins: number;
  joinP50Ms: number;
  joinP95Ms: number;
  bareTokenP50Ms: number;
  bareTokenP95Ms: number;
}

export async function benchTelehealthWorkflow(options: { sessions?: number } = {}): Promise<TelehealthWorkflowBenchResult> {
  const sessions = options.sessions ?? 40;
  const nodes = await startConsultNodes('bench-thw');
  try {
    const { a: A, b: B } = nodes;
    const staffB = nodes.staff(B);
    await A.store.update('Patient', 'bench-pat', { resourceType: 'Patient', id: 'bench-pat' });
    await B.store.update('Practitioner', 'bench-dr', { resourceType: 'Practitioner', id: 'bench-dr', active: true });
    const patientToken = (await call(A, 'POST', '/consent/patients/bench-pat/session', nodes.staff(A))).access_token as string;
    await call(A, 'POST', '/consent/patients/bench-pat/consents', patientToken, {
      grantee: { orgId: nodes.orgs.b },
      actions: ['access'],
      categories: ['Encounter'],
      purposes: ['TREAT'],
      notAfter: Math.floor(Date.now() / 1000) + 7200,
    });
    const assertion = (await call(A, 'POST', '/telehealth/patient-assertions', patientToken, { audience: B.config.publicUrl, lifetimeSeconds: 600 })).token as string;
    const provider = (await nodes.licensedPractitioner()).key;
    const specialist = (await nodes.licensedPractitioner()).key;
    const schedule = (await call(B, 'POST', '/telehealth/schedules', staffB, { practitioner: 'bench-dr' })).id as string;
    const slots: string[] = [];
    for (let i = 0; i < sessions; i++) {
      const start = new Date(Date.parse('2031-01-01T08:00:00Z') + i * 3_600_000);
      slots.push((await call(B, 'POST', `/telehealth/schedules/${schedule}/slots`, staffB, { start: start.toISOString(), end: new Date(start.getTime() + 1_800_000).toISOString() })).id);
    }

    const changes: number[] = [];
    const baseline: number[] = [];
    const joins: number[] = [];
    const timed = async (work: () => Promise<unknown>, into: number[]) => {
      const started = performance.now();
      await work();
      into.push(performance.now() - started);
    };
    for (const slot of slots) {
      const id = (await call(B, 'POST', '/telehealth/appointments', assertion, { slot })).sessionId as string;
      // The check-in is timed twice: as the participant sees it, and until its opening is in a block.
      const started = performance.now();
      await call(B, 'POST', `/telehealth/sessions/${id}/check-in`, assertion);
      changes.push(performance.now() - started);
      while (!(await B.chain.telehealth!.getSession(sessionIdHash(id)))) await new Promise((r) => setTimeout(r, 2));
      baseline.push(performance.now() - started);

      await timed(() => call(B, 'POST', `/telehealth/sessions/${id}/arrive`, assertion), changes);
      await call(B, 'POST', `/telehealth/sessions/${id}/admit`, staffB, { licenceSubject: provider.address });
      await call(B, 'POST', `/telehealth/sessions/${id}/invitations`, staffB, { member: nodes.orgs.a, practitioner: 'bench-spec', role: 'specialist', licenceSubject: specialist.address });
      for (let j = 0; j < 2; j++) await join(B, id, nodes.memberJwtOfA('bench-spec'), nodes.memberJwtOfA('bench-spec'), specialist, joins);
      await timed(() => call(B, 'POST', `/telehealth/sessions/${id}/start`, staffB), changes);
      await timed(() => call(B, 'POST', `/telehealth/sessions/${id}/wrap-up`, staffB), changes);
      await timed(() => call(B, 'POST', `/telehealth/sessions/${id}/complete`, staffB), changes);
    }

    // The bare cost of a join token: signing alone, no authentication or live checks.
    const bare: number[] = [];
    const participant = { participantId: 'bench', role: 'specialist' as const, member: B.chain.memberId, permissions: { publish: true, chat: true } };
    const issuer = new JoinTokens({ key: deriveJoinTokenKey(Buffer.alloc(32, 1)), issuer: 'http://bench', audience: 'http://bench/telehealth', ids: { claim: async () => true, purgeExpired: async () => 0 } });
    for (let i = 0; i < joins.length; i++) await timed(() => issuer.issue('bench-session-0000000', participant), bare);

    return {
      sessions,
      stateChanges: changes.length,
      stateChangeP50Ms: round(percentile(changes, 50)),
      stateChangeP95Ms: round(percentile(changes, 95)),
      baselineP50Ms: round(percentile(baseline, 50)),
      baselineP95Ms: round(percentile(baseline, 95)),
      joins: joins.length,
      joinP50Ms: round(percentile(joins, 50)),
      joinP95Ms: round(percentile(joins, 95)),
      bareTokenP50Ms: round(percentile(bare, 50)),
      bareTokenP95Ms: round(percentile(bare, 95)),
    };
  } finally {
    await nodes.stop();
  }
}

/** One specialist join: the challenge (not timed), then the join request (timed). */
async function join(host: RunningNode, sessionId: string, challengeJwt: string, joinJwt: string, key: Wallet, into: number[]): Promise<void> {
  const challenge = await call(host, 'POST', `/telehealth/sessions/${sessionId}/join-challenge`, challengeJwt);
  const signature = await key.signMessage(challenge.message);
  const started = performance.now();
  await call(host, 'POST', `/telehealth/sessions/${sessionId}/join`, joinJwt, { holderProof: { nonce: challenge.nonce, signature } });
  into.push(performance.now() - started);
}

async function call(node: RunningNode, method: string, path: string, token: string, body?: unknown): Promise<any> {
  const response = await fetch(`${node.config.publicUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const parsed = (await response.json()) as any;
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(parsed).slice(0, 300)}`);
  return parsed;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
