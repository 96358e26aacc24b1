// The provider side, acting with the console's staff token: today's consults with their states,
// the waiting room with Admit, each consult's next steps, inviting a specialist, and joining the
// call. Refreshed every 2 s (polling, as the other views: the notification stream needs a
// participant's token per consult, and staff watch many consults at once).
import { useState } from 'preact/hooks';
import { when } from './display-format.js';
import { usePolled } from './polling.js';
import { type ConsultView, LIVE_STATES, STATE_NAMES, consultStep, listConsults, slotStart } from './telehealth-consult.js';
import { TelehealthInvite } from './telehealth-invite.js';
import { ProviderJoin } from './telehealth-provider-join.js';
import { Notices } from './notices.js';

const CLOSED = new Set(['completed', 'cancelled', 'no-show']);
const FINAL_STEPS = new Set(['cancel', 'no-show']);
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
/** Steps the schedule offers as buttons; admitting has its own form, since it needs the licence key. */
const STEP_LABELS: Record<string, string> = {
  'check-in': 'Check in',
  arrive: 'Move to waiting room',
  start: 'Mark started',
  'wrap-up': 'Wrap up',
  complete: 'Complete',
  cancel: 'Cancel',
  'no-show': 'No-show',
};

interface ScheduledConsult extends ConsultView {
  start: string | null;
}

async function loadSchedule(token: string): Promise<ScheduledConsult[]> {
  const consults = await listConsults(token);
  const starts = await Promise.all(consults.map((consult) => slotStart(token, consult.slot)));
  return consults.map((consult, i) => ({ ...consult, start: starts[i] ?? null })).sort((a, b) => (a.start ?? '').localeCompare(b.start ?? ''));
}

function isToday(iso: string | null): boolean {
  if (!iso) return false;
  return new Date(iso).toDateString() === new Date().toDateString();
}

function shortId(sessionId: string): string {
  return sessionId.slice(0, 8);
}

function AdmitForm({ token, consult, onDone }: { token: string; consult: ConsultView; onDone: (message: string | null, error: string | null) => void }) {
  const [subject, setSubject] = useState('');
  const [busy, setBusy] = useState(false);
  const id = `admit-${consult.sessionId}`;
  const admit = async (event: Event) => {
    event.preventDefault();
    if (!ADDRESS.test(subject.trim())) return onDone(null, 'Type the provider’s licence key: the 0x address their licence credential names (42 characters).');
    setBusy(true);
    try {
      await consultStep(token, consult.sessionId, 'admit', { licenceSubject: subject.trim() });
      onDone(`Admitted the patient of consult ${shortId(consult.sessionId)}: join the call to see them.`, null);
    } catch (e) {
      onDone(null, (e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="inline-form" onSubmit={admit}>
      <label for={id}>Provider’s licence key</label>
      <input id={id} value={subject} onInput={(e) => setSubject((e.target as HTMLInputElement).value)} placeholder="0x…" autoComplete="off" spellcheck={false} />
      <button type="submit" class="primary" disabled={busy}>
        Admit patient
      </button>
    </form>
  );
}

export function TelehealthProvider({ token }: { token: string }) {
  const [generation, setGeneration] = useState(0);
  const schedule = usePolled(() => loadSchedule(token), [token, generation]);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [inCall, setInCall] = useState<ConsultView | null>(null);
  const [inviting, setInviting] = useState<string | null>(null);

  const report = (done: string | null, failed: string | null) => {
    setMessage(done);
    setError(failed);
    setGeneration((g) => g + 1);
  };
  const step = async (consult: ConsultView, action: string) => {
    // Cancelling and marking a no-show end the consult for everyone and cannot be undone.
    if (FINAL_STEPS.has(action) && !confirm(`${STEP_LABELS[action]} consult ${shortId(consult.sessionId)}? This ends it for everyone and cannot be undone.`)) return;
    setBusy(true);
    try {
      const next = await consultStep(token, consult.sessionId, action);
      report(`Consult ${shortId(consult.sessionId)} is now: ${STATE_NAMES[next.state] ?? next.state}.`, null);
    } catch (e) {
      report(null, (e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const all = schedule.data ?? [];
  const waiting = all.filter((c) => c.state === 'waiting');
  const today = all.filter((c) => isToday(c.start) || (!CLOSED.has(c.state) && c.state !== 'scheduled'));
  const elsewhere = all.filter((c) => !today.includes(c) && !CLOSED.has(c.state)).length;

  if (inCall) {
    return (
      <ProviderJoin
        token={token}
        consult={inCall}
        onLeft={(because) => {
          setInCall(null);
          report(because && because !== 'The call ended.' ? null : 'You left the call. Wrap up and complete the consult from the schedule when it is over.', because && because !== 'The call ended.' ? because : null);
        }}
      />
    );
  }

  return (
    <>
      <Notices errors={[error, schedule.error]} done={message} />
      <section class="card" aria-labelledby="waiting-title">
        <h2 id="waiting-title">Waiting room</h2>
        {schedule.data === null ? (
          <p class="live">Loading…</p>
        ) : waiting.length === 0 ? (
          <p class="empty">Nobody is waiting. A patient appears here when they check in and arrive for their consult.</p>
        ) : (
          <ul class="waiting">
            {waiting.map((consult) => (
              <li key={consult.sessionId}>
                <p>
                  <strong>Consult {shortId(consult.sessionId)}</strong> with {consult.practitioner}, {consult.start ? `booked for ${when(consult.start)}` : 'time unknown'}: the patient is waiting.
                </p>
                <AdmitForm token={token} consult={consult} onDone={report} />
              </li>
            ))}
          </ul>
        )}
      </section>
      <section class="card" aria-labelledby="schedule-title">
        <h2 id="schedule-title">Today’s consults</h2>
        {schedule.updatedAt && <p class="live">Updated {when(schedule.updatedAt)}, every 2 seconds.</p>}
        {schedule.data !== null && today.length === 0 ? (
          <p class="empty">
            No consult today. Open a schedule and slots for a practitioner (<code>POST /telehealth/schedules</code>, <code>careledger telehealth</code>); patients then book them.
          </p>
        ) : (
          <div class="table-wrap">
            <table>
              <caption class="visually-hidden">Today’s consults with their state and next steps</caption>
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Consult</th>
                  <th scope="col">Practitioner</th>
                  <th scope="col">State</th>
                  <th scope="col">Participants</th>
                  <th scope="col">Steps</th>
                </tr>
              </thead>
              <tbody>
                {today.map((consult) => (
                  <tr key={consult.sessionId} data-state={consult.state}>
                    <td>{when(consult.start)}</td>
                    <td>
                      <code title={consult.sessionId}>{shortId(consult.sessionId)}</code>
                    </td>
                    <td>{consult.practitioner.replace(/^Practitioner\//, '')}</td>
                    <td>
                      <span class={`badge state-${consult.state}`}>{STATE_NAMES[consult.state] ?? consult.state}</span>
                      {consult.endReason && <span class="note"> ({consult.endReason})</span>}
                    </td>
                    <td class="fit">{consult.participants.map((p) => `${p.role} (${p.status})`).join(', ') || '—'}</td>
                    <td class="fit steps">
                      {LIVE_STATES.has(consult.state) && (
                        <button type="button" class="primary small" onClick={() => setInCall(consult)}>
                          Join call
                        </button>
                      )}
                      {!CLOSED.has(consult.state) && (
                        <button type="button" class="small" aria-expanded={inviting === consult.sessionId} onClick={() => setInviting(inviting === consult.sessionId ? null : consult.sessionId)}>
                          Invite
                        </button>
                      )}
                      {consult.next
                        .filter((action) => STEP_LABELS[action])
                        .map((action) => (
                          <button type="button" class="small" key={action} disabled={busy} onClick={() => void step(consult, action)}>
                            {STEP_LABELS[action]}
                          </button>
                        ))}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {elsewhere > 0 && <p class="note">{elsewhere} open consults on other days are not listed here.</p>}
      </section>
      {inviting && <TelehealthInvite token={token} sessionId={inviting} onDone={(done, failed) => (report(done, failed), done && setInviting(null))} />}
    </>
  );
}
