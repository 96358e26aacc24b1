// The patient's consults hosted at other members, for the patient view at their home node. The
// home node asks each member node it knows (TELEHEALTH_MEMBER_URLS) for the sessions it hosts for
// the patient's address, with a patient session it signs for that host alone (patient-assertion.ts,
// the same credential the patient books and checks in with there); the host answers only the
// sessions booked through this home member (GET /telehealth/patient/sessions). Hosts are asked in
// parallel, each with a short deadline: a host that is down, slow, or not an active hospital
// member is named in `unavailable` with the reason, and the rest of the view is served anyway.
// What a host answers is its own account; each event carries the host's receipt, which anyone
// verifies against the chain.

import { MemberRole, type Hex, type MemberPort } from '../ledger/ports.js';
import { signPatientAssertion } from './patient-assertion.js';
import type { ConsultsAtOtherHosts, HostedElsewhere, PatientConsultSession, UnavailableHost } from './patient-consults.js';

/** Where a host serves a patient their sessions (telehealth-routes.ts). */
export const PATIENT_SESSIONS_PATH = '/telehealth/patient/sessions';
const DEFAULT_TIMEOUT_MS = 3_000;
/** Long enough for one call; the host sees nothing it could reuse much later. */
const ASSERTION_LIFETIME_SECONDS = 60;

export interface ConsultsElsewhereOptions {
  /** Base URL of each member's node by member id (config.telehealthRecords.memberUrls); this node's own entry is skipped. */
  memberUrls: Record<string, string>;
  self: { memberId: Hex; signerKey: string };
  members: Pick<MemberPort, 'getMemberById'>;
  /** Per host; default 3 s. */
  timeoutMs?: number;
}

export class ConsultsElsewhere implements ConsultsAtOtherHosts {
  private readonly timeoutMs: number;

  constructor(private readonly options: ConsultsElsewhereOptions) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** Hosts with sessions for the patient (those with none are left out) and hosts that could not be asked. */
  async of(address: Hex): Promise<{ elsewhere: HostedElsewhere[]; unavailable: UnavailableHost[] }> {
    const self = this.options.self.memberId.toLowerCase();
    const hosts = Object.entries(this.options.memberUrls).filter(([member]) => member.toLowerCase() !== self) as Array<[Hex, string]>;
    const answers = await Promise.all(hosts.map(([member, url]) => this.ask(member, url, address)));
    const elsewhere: HostedElsewhere[] = [];
    const unavailable: UnavailableHost[] = [];
    for (const answer of answers) {
      if ('reason' in answer) unavailable.push(answer);
      else if (answer.sessions.length > 0) elsewhere.push(answer);
    }
    return { elsewhere, unavailable };
  }

  private async ask(member: Hex, baseUrl: string, address: Hex): Promise<HostedElsewhere | UnavailableHost> {
    let host;
    try {
      host = await this.options.members.getMemberById(member);
    } catch {
      return { member, reason: 'its membership could not be read from the chain; try again shortly' };
    }
    if (!host || !host.active || (host.roles & MemberRole.HOSPITAL) === 0) {
      return { member, reason: 'not an active hospital member of the consortium: its node is not asked; remove it from TELEHEALTH_MEMBER_URLS' };
    }
    const { token } = signPatientAssertion(this.options.self.signerKey, {
      homeMember: this.options.self.memberId,
      patientAddress: address,
      audience: baseUrl,
      lifetimeSeconds: ASSERTION_LIFETIME_SECONDS,
    });
    let response: Response;
    try {
      response = await fetch(`${baseUrl}${PATIENT_SESSIONS_PATH}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      const timedOut = error instanceof DOMException && error.name === 'TimeoutError';
      return { member, reason: timedOut ? `its node did not answer within ${this.timeoutMs} ms` : `its node did not answer (${causeOf(error)})` };
    }
    const body: unknown = await response.json().catch(() => null);
    if (!response.ok) return { member, reason: `its node refused: HTTP ${response.status}${outcomeText(body)}` };
    const sessions = (body as { sessions?: unknown } | null)?.sessions;
    if (!Array.isArray(sessions) || !sessions.every(isSession)) return { member, reason: 'its node answered something other than a list of sessions' };
    return { member, orgId: host.orgId, sessions };
  }
}

function isSession(value: unknown): value is PatientConsultSession {
  const session = value as Partial<PatientConsultSession> | null;
  return typeof session === 'object' && session !== null && typeof session.sessionKey === 'string' && typeof session.state === 'string' && Array.isArray(session.events);
}

function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

function outcomeText(body: unknown): string {
  const text = (body as { issue?: Array<{ details?: { text?: string } }> } | null)?.issue?.[0]?.details?.text;
  return typeof text === 'string' ? `: ${text}` : '';
}
