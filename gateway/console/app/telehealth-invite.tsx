// Inviting a specialist, a second opinion or an observer from a member hospital. Clinical roles
// need the practitioner's licence key: they join only while LicenceRegistry holds a valid licence
// for it, checked again on every join.
import { useState } from 'preact/hooks';
import { consultStep } from './telehealth-consult.js';

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const ROLES = [
  { value: 'specialist', label: 'Specialist' },
  { value: 'second-opinion', label: 'Second opinion' },
  { value: 'observer', label: 'Observer (sees and hears, never sends media)' },
];

export function TelehealthInvite({ token, sessionId, onDone }: { token: string; sessionId: string; onDone: (message: string | null, error: string | null) => void }) {
  const [member, setMember] = useState('');
  const [practitioner, setPractitioner] = useState('');
  const [role, setRole] = useState('specialist');
  const [subject, setSubject] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const invite = async (event: Event) => {
    event.preventDefault();
    setError(null);
    if (!member.trim()) return setError('Name the practitioner’s hospital: its org id as the consortium lists it.');
    if (!practitioner.trim()) return setError('Name the practitioner: their id at their hospital (the subject of the member tokens their hospital issues).');
    if (role !== 'observer' && !ADDRESS.test(subject.trim())) return setError('A specialist or second opinion joins only with a licence: type their licence key, the 0x address their licence credential names.');
    setBusy(true);
    try {
      await consultStep(token, sessionId, 'invitations', {
        member: member.trim(),
        practitioner: practitioner.trim(),
        role,
        ...(role !== 'observer' ? { licenceSubject: subject.trim() } : {}),
      });
      onDone(`Invited ${practitioner.trim()} of ${member.trim()}: their hospital gives them a member token to join with.`, null);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card" onSubmit={invite} aria-labelledby="invite-title">
      <h2 id="invite-title">Invite to consult {sessionId.slice(0, 8)}</h2>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      <label for="invite-member">Hospital (org id)</label>
      <input id="invite-member" value={member} onInput={(e) => setMember((e.target as HTMLInputElement).value)} autoComplete="off" />
      <label for="invite-practitioner">Practitioner id at that hospital</label>
      <input id="invite-practitioner" value={practitioner} onInput={(e) => setPractitioner((e.target as HTMLInputElement).value)} autoComplete="off" />
      <label for="invite-role">Role</label>
      <select id="invite-role" value={role} onChange={(e) => setRole((e.target as HTMLSelectElement).value)}>
        {ROLES.map((r) => (
          <option key={r.value} value={r.value}>
            {r.label}
          </option>
        ))}
      </select>
      {role !== 'observer' && (
        <>
          <label for="invite-subject">Licence key</label>
          <input id="invite-subject" value={subject} onInput={(e) => setSubject((e.target as HTMLInputElement).value)} placeholder="0x…" autoComplete="off" spellcheck={false} />
        </>
      )}
      <button type="submit" class="primary" disabled={busy}>
        Send invitation
      </button>
    </form>
  );
}
