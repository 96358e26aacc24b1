// The patient side: the patient's own consults at this host, checking in, arriving in the waiting
// room and joining the call once admitted. Every call carries the patient's credential, never the
// staff token: the Patient view's patient access token (a kiosk where staff opened the patient's
// view) or one the patient pastes, either this node's `clp_…` token (this node is their home
// hospital) or a patient session from their home node (`POST /telehealth/patient-assertions`
// there). The host checks it on every call, so the page can do only what the patient may.
import { useState } from 'preact/hooks';
import { when } from './display-format.js';
import { loadPatientSession } from './patient-session.js';
import { usePolled } from './polling.js';
import { ConsultCallPanel } from './telehealth-call.js';
import type { JoinGrant } from './telehealth-call-client.js';
import { type ConsultView, LIVE_STATES, STATE_NAMES, consultStep, joinConsult, listConsults } from './telehealth-consult.js';
import { Notices } from './notices.js';

interface PatientCredential {
  token: string;
  /** Epoch ms, when known. */
  expiresAt: number | null;
  label: string;
}

const JWT = /^[A-Za-z0-9_-]+\.([A-Za-z0-9_-]+)\.[A-Za-z0-9_-]+$/;

function pastedCredential(value: string): PatientCredential | string {
  const token = value.trim();
  if (token.startsWith('clp_')) return { token, expiresAt: null, label: 'a patient access token of this hospital' };
  const payload = JWT.exec(token)?.[1];
  if (!payload) return 'Paste the patient access token (clp_…) or the patient session your home hospital issued (three dot-separated parts).';
  try {
    const claims = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as { exp?: number };
    if (claims.exp && claims.exp * 1000 <= Date.now()) return 'This patient session has expired: ask your home hospital for a new one (they last 10 minutes).';
    return { token, expiresAt: claims.exp ? claims.exp * 1000 : null, label: 'a patient session from your home hospital' };
  } catch {
    return 'This does not look like a patient session: copy it again in full.';
  }
}

function PatientConsults({ credential, onEnd }: { credential: PatientCredential; onEnd: () => void }) {
  const [generation, setGeneration] = useState(0);
  const consults = usePolled(() => listConsults(credential.token), [credential.token, generation]);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [grant, setGrant] = useState<JoinGrant | null>(null);

  const act = async (consult: ConsultView, step: string, done: string) => {
    setBusy(true);
    setError(null);
    try {
      await consultStep(credential.token, consult.sessionId, step);
      setMessage(done);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
      setGeneration((g) => g + 1);
    }
  };
  const join = async (consult: ConsultView) => {
    setBusy(true);
    setError(null);
    try {
      setGrant(await joinConsult(credential.token, consult.sessionId));
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  if (grant) {
    return (
      <ConsultCallPanel
        grant={grant}
        onLeft={(because) => {
          setGrant(null);
          setMessage(because && because !== 'The call ended.' ? null : 'You left the call. You can join again while the consult is in progress.');
          setError(because && because !== 'The call ended.' ? because : null);
          setGeneration((g) => g + 1);
        }}
      />
    );
  }
  const open = (consults.data ?? []).filter((c) => !['completed', 'cancelled', 'no-show'].includes(c.state));
  return (
    <>
      <div class="card patient-bar">
        <p>
          Acting as the patient with {credential.label}
          {credential.expiresAt ? ` until ${when(credential.expiresAt)}` : ''}.{' '}
          <button type="button" class="link" onClick={onEnd}>
            Stop acting as the patient
          </button>
        </p>
      </div>
      <Notices errors={[error, consults.error]} done={message} />
      <section class="card" aria-labelledby="my-consults-title">
        <h2 id="my-consults-title">Your consults</h2>
        {consults.data === null ? (
          <p class="live">Loading…</p>
        ) : open.length === 0 ? (
          <p class="empty">You have no upcoming video consult here. Book one with the hospital; it appears here with a button to check in.</p>
        ) : (
          <ul class="consult-list">
            {open.map((consult) => (
              <li key={consult.sessionId} data-state={consult.state}>
                <p>
                  Consult with <strong>{consult.practitioner.replace(/^Practitioner\//, '')}</strong>: <span class={`badge state-${consult.state}`}>{STATE_NAMES[consult.state] ?? consult.state}</span>
                </p>
                {consult.state === 'waiting' && <p class="note">You are in the waiting room. The provider admits you shortly; this page updates by itself.</p>}
                {consult.next.includes('check-in') && (
                  <button type="button" disabled={busy} onClick={() => void act(consult, 'check-in', 'Checked in: your consent to this hospital was found.')}>
                    Check in
                  </button>
                )}
                {consult.next.includes('arrive') && (
                  <button type="button" class="primary" disabled={busy} onClick={() => void act(consult, 'arrive', 'You are in the waiting room. The provider admits you shortly.')}>
                    Enter the waiting room
                  </button>
                )}
                {LIVE_STATES.has(consult.state) && (
                  <button type="button" class="primary" disabled={busy} onClick={() => void join(consult)}>
                    Join the call
                  </button>
                )}
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}

export function TelehealthPatient() {
  const kiosk = loadPatientSession();
  const [credential, setCredential] = useState<PatientCredential | null>(null);
  const [pasted, setPasted] = useState('');
  const [error, setError] = useState<string | null>(null);

  if (credential) return <PatientConsults credential={credential} onEnd={() => setCredential(null)} />;
  const usePasted = (event: Event) => {
    event.preventDefault();
    const read = pastedCredential(pasted);
    if (typeof read === 'string') return setError(read);
    setError(null);
    setCredential(read);
  };
  return (
    <form class="card" onSubmit={usePasted} aria-labelledby="patient-join-title">
      <h2 id="patient-join-title">Join as the patient</h2>
      <p>The patient’s side of the consult acts with the patient’s own credential only, never with your staff sign-in.</p>
      {kiosk && (
        <p>
          <button type="button" class="primary" onClick={() => setCredential({ token: kiosk.token, expiresAt: kiosk.expiresAt, label: `the patient view’s token for Patient/${kiosk.patientId}` })}>
            Continue as Patient/{kiosk.patientId}
          </button>
        </p>
      )}
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      <label for="patient-credential">Patient token or patient session</label>
      <input id="patient-credential" type="password" value={pasted} onInput={(e) => setPasted((e.target as HTMLInputElement).value)} autoComplete="off" aria-describedby="patient-credential-hint" />
      <p class="note" id="patient-credential-hint">
        A patient access token of this hospital (clp_…), or a patient session your home hospital issued for this one.
      </p>
      <button type="submit" class="primary">
        Continue as the patient
      </button>
    </form>
  );
}
