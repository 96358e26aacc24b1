// Patient: a patient's consents (grant, revoke), who accessed their record and why with each
// AuditEvent's receipt, break-glass accesses flagged, and their telehealth consults. Everything
// after the patient session opens is called with the patient's own token (patient-session.ts),
// never the staff token the console signed in with, and refreshed every 2 s while shown.
import { useState } from 'preact/hooks';
import type { ViewProps } from './console-views.js';
import { when } from './display-format.js';
import { ApiError, nodeJson } from './node-api.js';
import { type AccessEntryView, PatientAccesses } from './patient-accesses.js';
import { type GrantView, PatientConsents } from './patient-consents.js';
import { PatientConsults, type PatientConsultsView } from './patient-consults.js';
import { type PatientSession, loadPatientSession, savePatientSession } from './patient-session.js';
import { PatientSignIn } from './patient-sign-in.js';
import { usePolled } from './polling.js';

interface PatientRecord {
  grants: GrantView[];
  accesses: AccessEntryView[];
  consults: PatientConsultsView | null;
  consultsUnavailable: string | null;
}

async function loadRecord(session: PatientSession): Promise<PatientRecord> {
  const base = `/consent/patients/${encodeURIComponent(session.patientId)}`;
  const opts = { token: session.token };
  const [consents, accesses, consults] = await Promise.all([
    nodeJson<{ grants: GrantView[] }>(`${base}/consents`, 'this patient’s consents', opts),
    nodeJson<{ accesses: AccessEntryView[] }>(`${base}/accesses`, 'this patient’s access log', opts),
    nodeJson<PatientConsultsView>(`${base}/telehealth-sessions`, 'this patient’s telehealth consults', opts).then(
      ({ body }) => ({ body, unavailable: null }),
      (error: unknown) => {
        if (error instanceof ApiError && error.status === 404) return { body: null, unavailable: 'Telehealth is not turned on at this node, so there are no consults to show.' };
        throw error;
      },
    ),
  ]);
  return { grants: consents.body.grants, accesses: accesses.body.accesses, consults: consults.body, consultsUnavailable: consults.unavailable };
}

function PatientRecordView({ config, session, onEnd }: { config: ViewProps['config']; session: PatientSession; onEnd: () => void }) {
  const [generation, setGeneration] = useState(0);
  const record = usePolled(() => loadRecord(session), [session.token, generation]);
  const data = record.data;
  return (
    <>
      <div class="card patient-bar">
        <p>
          Acting as <strong>Patient/{session.patientId}</strong> with a patient access token until {when(session.expiresAt)}.{' '}
          <button type="button" class="link" onClick={onEnd}>
            Close patient view
          </button>
        </p>
      </div>
      {record.error && (
        <p role="alert" class="error">
          {record.error}
        </p>
      )}
      <PatientConsents config={config} session={session} grants={data?.grants ?? null} onChanged={() => setGeneration((g) => g + 1)} />
      <PatientAccesses config={config} accesses={data?.accesses ?? null} />
      <PatientConsults consults={data?.consults ?? null} unavailable={data?.consultsUnavailable ?? null} />
    </>
  );
}

export function PatientView({ config, session }: ViewProps) {
  const [patient, setPatient] = useState<PatientSession | null>(() => loadPatientSession());
  const open = (next: PatientSession | null) => {
    savePatientSession(next);
    setPatient(next);
  };
  return (
    <div class="patient">
      {patient ? <PatientRecordView config={config} session={patient} onEnd={() => open(null)} /> : <PatientSignIn staffToken={session.accessToken} onSession={open} />}
    </div>
  );
}
