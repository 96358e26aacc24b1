// The patient's telehealth consults: sessions this node hosted for the patient and those other
// members hosted (state, when, each event of the session log with its receipt), the hosts that
// could not be asked, and visit notes other members' hosts delivered here. A node without telehealth answers 404, which the view says plainly.
import { count, when } from './display-format.js';

interface ReceiptLink {
  status: 'anchored' | 'pending' | 'erased';
  receipt?: { anchor?: { blockNumber?: number } };
}

interface ConsultSession {
  sessionKey: string;
  state: string;
  encounter: string;
  createdAt: string;
  updatedAt: string;
  events: Array<{ auditEvent: string; code: string; recorded: string; outcome: string; receipt: ReceiptLink }>;
}

export interface PatientConsultsView {
  hosted: ConsultSession[];
  /** Sessions other members hosted, asked by this node for the patient (absent on older nodes). */
  elsewhere?: Array<{ member: string; orgId: string; sessions: ConsultSession[] }>;
  unavailable?: Array<{ member: string; reason: string }>;
  visitNotes: Array<{ documentReference: string; hostMember: string; date: string | null; receipt: ReceiptLink }>;
}

function receiptText(link: ReceiptLink): string {
  if (link.status === 'anchored') return link.receipt?.anchor?.blockNumber !== undefined ? `anchored in block ${count(link.receipt.anchor.blockNumber)}` : 'anchored';
  return link.status === 'pending' ? 'on its way to the chain' : 'erased';
}

export function PatientConsults({ consults, unavailable }: { consults: PatientConsultsView | null; unavailable: string | null }) {
  const elsewhere = consults?.elsewhere ?? [];
  const hostsDown = consults?.unavailable ?? [];
  const empty = consults !== null && consults.hosted.length === 0 && elsewhere.length === 0 && consults.visitNotes.length === 0;
  return (
    <section class="card" aria-labelledby="consults-title">
      <h2 id="consults-title">Telehealth consults</h2>
      {unavailable ? (
        <p class="empty">{unavailable}</p>
      ) : consults === null ? (
        <p class="note">Loading consults…</p>
      ) : empty && hostsDown.length === 0 ? (
        <p class="empty">No video consult yet. When a clinician books one, it appears here with every step of the session and its receipt.</p>
      ) : (
        <>
          <ConsultList sessions={consults.hosted} />
          {elsewhere.map((host) => (
            <div key={host.member}>
              <h3>Consults hosted by {host.orgId}</h3>
              <ConsultList sessions={host.sessions} />
            </div>
          ))}
          {hostsDown.length > 0 && (
            <p class="note">
              Not shown: consults at {hostsDown.map((h) => `${h.member.slice(0, 10)}… (${h.reason})`).join('; ')}. Try again later.
            </p>
          )}
          {consults.visitNotes.length > 0 && (
            <>
              <h3>Visit notes from other hospitals</h3>
              <ul>
                {consults.visitNotes.map((n) => (
                  <li key={n.documentReference}>
                    {n.documentReference} from {n.hostMember}
                    {n.date ? `, ${when(n.date)}` : ''}: <span class="note">{receiptText(n.receipt)}</span>
                  </li>
                ))}
              </ul>
            </>
          )}
        </>
      )}
    </section>
  );
}

function ConsultList({ sessions }: { sessions: ConsultSession[] }) {
  if (sessions.length === 0) return null;
  return (
    <ul class="consults">
      {sessions.map((s) => (
        <li key={s.sessionKey}>
          <strong>{s.state}</strong> consult ({s.encounter}), started {when(s.createdAt)}, last change {when(s.updatedAt)}
          <ol class="checks">
            {s.events.map((e) => (
              <li key={e.auditEvent}>
                {when(e.recorded)}: {e.code} ({e.outcome}), <span class="note">{receiptText(e.receipt)}</span>
              </li>
            ))}
          </ol>
        </li>
      ))}
    </ul>
  );
}
