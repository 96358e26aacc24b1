// How the patient view gets its patient session: staff who checked the patient's identity start
// one (POST /consent/patients/{id}/session with the console's staff token), or the patient pastes
// the access token the hospital's portal gave them. Either way the view then acts with the
// patient's token only.
import { useState } from 'preact/hooks';
import { nodeJson } from './node-api.js';
import type { PatientSession } from './patient-session.js';

const ID_PATTERN = /^[A-Za-z0-9\-.]{1,64}$/;
const PASTED_SESSION_MS = 15 * 60_000;

export function PatientSignIn({ staffToken, onSession }: { staffToken: string; onSession: (session: PatientSession) => void }) {
  const [patientId, setPatientId] = useState('');
  const [pasted, setPasted] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const start = async (event: Event) => {
    event.preventDefault();
    setError(null);
    const id = patientId.trim();
    if (!ID_PATTERN.test(id)) return setError('Type the patient’s id as the hospital holds it (letters, digits, "-" and "."), as in Patient/<id>.');
    const token = pasted.trim();
    if (token && !token.startsWith('clp_')) return setError('A patient access token starts with clp_: paste the one the hospital gave the patient, or leave it empty to start a new session.');
    setBusy(true);
    try {
      if (token) {
        // The node says whether the token belongs to this patient before the view relies on it.
        await nodeJson(`/consent/patients/${encodeURIComponent(id)}/consents`, `the consents of Patient/${id}`, { token });
        onSession({ patientId: id, token, expiresAt: Date.now() + PASTED_SESSION_MS });
      } else {
        const { body } = await nodeJson<{ access_token: string; expires_in: number }>(`/consent/patients/${encodeURIComponent(id)}/session`, `a patient session for Patient/${id}`, {
          token: staffToken,
          method: 'POST',
        });
        onSession({ patientId: id, token: body.access_token, expiresAt: Date.now() + body.expires_in * 1000 });
      }
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card" onSubmit={start} aria-labelledby="patient-sign-in-title">
      <h2 id="patient-sign-in-title">Open a patient’s view</h2>
      <p>
        Check the patient’s identity first. The view then acts with a patient access token bound to this one patient for 15 minutes: it sees and changes only what the patient
        could.
      </p>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      <label for="patient-id">Patient id</label>
      <input id="patient-id" value={patientId} onInput={(e) => setPatientId((e.target as HTMLInputElement).value)} autoComplete="off" required />
      <label for="patient-token">Patient access token (optional)</label>
      <input id="patient-token" type="password" value={pasted} onInput={(e) => setPasted((e.target as HTMLInputElement).value)} autoComplete="off" aria-describedby="patient-token-hint" />
      <p class="note" id="patient-token-hint">
        Leave it empty to issue a new one with your staff sign-in.
      </p>
      <button type="submit" class="primary" disabled={busy}>
        Open patient view
      </button>
    </form>
  );
}
