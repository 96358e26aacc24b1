// The patient view's own credential: a patient access token (`clp_…`, bound to one patient, 15
// minutes) that the hospital issues, kept for this tab beside the staff session and used for every
// call of the patient view. What that token allows the patient is all the view can do.

export interface PatientSession {
  patientId: string;
  token: string;
  /** Epoch ms. */
  expiresAt: number;
}

const KEY = 'careledger.console.patient';

export function loadPatientSession(now = Date.now()): PatientSession | null {
  const raw = sessionStorage.getItem(KEY);
  if (!raw) return null;
  try {
    const session = JSON.parse(raw) as PatientSession;
    return session.expiresAt > now ? session : null;
  } catch {
    return null;
  }
}

export function savePatientSession(session: PatientSession | null): void {
  if (session) sessionStorage.setItem(KEY, JSON.stringify(session));
  else sessionStorage.removeItem(KEY);
}
