// The host's telehealth API as the Telehealth view calls it, with whichever credential the page
// acts with: the staff token (provider side) or the patient's own session (patient side).
import { nodeJson } from './node-api.js';
import type { JoinGrant } from './telehealth-call-client.js';

export interface ConsultView {
  sessionId: string;
  state: string;
  appointment: string;
  encounter: string;
  slot: string;
  practitioner: string;
  patient: string;
  homeMember: string;
  endReason: string | null;
  next: string[];
  participants: Array<{ participantId: string; role: string; member: string; status: string }>;
  chain: Array<{ kind: string; status: string; txHash?: string; reason?: string }>;
}

/** The consult's states in words, for the schedule and the patient. */
export const STATE_NAMES: Record<string, string> = {
  scheduled: 'Scheduled',
  'checked-in': 'Checked in',
  waiting: 'In the waiting room',
  connecting: 'Admitted, joining the call',
  'in-progress': 'In progress',
  'wrapping-up': 'Wrapping up',
  completed: 'Completed',
  cancelled: 'Cancelled',
  'no-show': 'No-show',
};

export const LIVE_STATES = new Set(['connecting', 'in-progress']);

const path = (sessionId: string, step = '') => `/telehealth/sessions/${encodeURIComponent(sessionId)}${step}`;

export async function listConsults(token: string): Promise<ConsultView[]> {
  const { body } = await nodeJson<{ sessions: ConsultView[] }>('/telehealth/sessions?limit=200', 'the consults', { token });
  return body.sessions;
}

export async function consultStep(token: string, sessionId: string, step: string, body?: unknown): Promise<ConsultView> {
  const answer = await nodeJson<ConsultView | { session: ConsultView }>(path(sessionId, `/${step}`), `the step “${step}” of this consult`, {
    token,
    method: 'POST',
    accept: [200, 201],
    body: body ?? {},
  });
  return 'session' in answer.body ? answer.body.session : answer.body;
}

export async function joinChallenge(token: string, sessionId: string): Promise<{ nonce: string; message: string; subject: string; expiresAt: number }> {
  return (await nodeJson<{ nonce: string; message: string; subject: string; expiresAt: number }>(path(sessionId, '/join-challenge'), 'a join challenge', { token, method: 'POST', body: {} })).body;
}

export async function joinConsult(token: string, sessionId: string, holderProof?: { nonce: string; signature: string }): Promise<JoinGrant> {
  return (await nodeJson<JoinGrant>(path(sessionId, '/join'), 'joining this consult', { token, method: 'POST', body: holderProof ? { holderProof } : {} })).body;
}

/** When the consult's slot starts, read once per slot (a slot's time does not change). */
const slotStarts = new Map<string, string | null>();

export async function slotStart(token: string, slot: string): Promise<string | null> {
  if (!slotStarts.has(slot)) {
    const read = await nodeJson<{ start?: string }>(`/fhir/${slot}`, `the time of ${slot}`, { token }).then(
      ({ body }) => body.start ?? null,
      () => null,
    );
    slotStarts.set(slot, read);
  }
  return slotStarts.get(slot) ?? null;
}
