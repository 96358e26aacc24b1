// Telehealth: the provider's schedule and waiting room, admitting, inviting and the call (with the
// staff token), and the patient's side of the same consult (with the patient's own credential).
// One view with two sides, because a consult is one thing seen from two chairs.
import { useState } from 'preact/hooks';
import type { ViewProps } from './console-views.js';
import { TelehealthPatient } from './telehealth-patient.js';
import { TelehealthProvider } from './telehealth-provider.js';

type Side = 'provider' | 'patient';

export function TelehealthView({ session }: ViewProps) {
  const [side, setSide] = useState<Side>('provider');
  return (
    <div class="telehealth">
      <div class="side-switch" role="group" aria-label="Whose side of the consult">
        <button type="button" aria-pressed={side === 'provider'} onClick={() => setSide('provider')}>
          Provider and staff
        </button>
        <button type="button" aria-pressed={side === 'patient'} onClick={() => setSide('patient')}>
          Patient
        </button>
      </div>
      {side === 'provider' ? <TelehealthProvider token={session.accessToken} /> : <TelehealthPatient />}
    </div>
  );
}
