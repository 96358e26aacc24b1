// The patient's consents: every grant on the ledger with its status, scope, window and
// transaction, a Revoke button on the active ones, and a form to grant a member (optionally one of
// its practitioners) access for chosen purposes until a date. Each grant and revocation is signed
// with the patient's key on the node (custodial) and recorded in ConsentRegistry before it answers.
import { useState } from 'preact/hooks';
import type { ConsoleConfig } from './console-config.js';
import { transactionUrl } from './console-config.js';
import { shortHash, when } from './display-format.js';
import { nodeJson } from './node-api.js';
import type { PatientSession } from './patient-session.js';
import { Notices } from './notices.js';

export interface GrantView {
  grantId: string;
  status: 'active' | 'revoked' | 'expired' | 'not-yet-valid';
  granteeMember: string;
  granteePractitioner: string;
  scope: { actions: string[]; categories: string[] } | null;
  purposes: string[];
  notBefore: string;
  notAfter: string;
  revokedAt: string | null;
  consent: string | null;
  txHash: string | null;
}

const PURPOSES: Array<{ code: string; label: string }> = [
  { code: 'TREAT', label: 'Treatment' },
  { code: 'ETREAT', label: 'Emergency treatment' },
  { code: 'HPAYMT', label: 'Payment' },
  { code: 'HRESCH', label: 'Research' },
];
const PURPOSE_LABEL = Object.fromEntries(PURPOSES.map((p) => [p.code, p.label.toLowerCase()]));
const ZERO = /^0x0+$/;
const DAY_MS = 86_400_000;

function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function Tx({ config, hash }: { config: ConsoleConfig; hash: string | null }) {
  if (!hash) return <>—</>;
  const url = transactionUrl(config, hash);
  return url ? (
    <a href={url} rel="noopener noreferrer" target="_blank" title={hash}>
      {shortHash(hash)}
    </a>
  ) : (
    <code title={hash}>{shortHash(hash)}</code>
  );
}

export function PatientConsents({ config, session, grants, onChanged }: { config: ConsoleConfig; session: PatientSession; grants: GrantView[] | null; onChanged: () => void }) {
  const [orgId, setOrgId] = useState('');
  const [practitioner, setPractitioner] = useState('');
  const [categories, setCategories] = useState('Patient, Observation');
  const [purposes, setPurposes] = useState<string[]>(['TREAT']);
  const [until, setUntil] = useState(() => isoDay(Date.now() + 30 * DAY_MS));
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const base = `/consent/patients/${encodeURIComponent(session.patientId)}`;

  const grant = async (event: Event) => {
    event.preventDefault();
    setError(null);
    setDone(null);
    const wanted = categories
      .split(',')
      .map((c) => c.trim())
      .filter(Boolean);
    const untilMs = Date.parse(`${until}T23:59:59`);
    if (!orgId.trim()) return setError('Name the organisation to grant: its consortium org id, as the hospital lists its members.');
    if (wanted.length === 0) return setError('Name at least one kind of data, such as Patient or Observation:laboratory.');
    if (purposes.length === 0) return setError('Choose at least one purpose the organisation may use the data for.');
    if (!Number.isFinite(untilMs) || untilMs <= Date.now()) return setError('Choose an end date in the future.');
    setBusy(true);
    try {
      await nodeJson(`${base}/consents`, 'recording the consent', {
        token: session.token,
        method: 'POST',
        accept: [201],
        body: {
          grantee: { orgId: orgId.trim(), ...(practitioner.trim() ? { practitioner: practitioner.trim() } : {}) },
          actions: ['access'],
          categories: wanted,
          purposes,
          notAfter: Math.floor(untilMs / 1000),
        },
      });
      setDone(`Granted ${orgId.trim()} access until ${when(untilMs)}.`);
      onChanged();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const revoke = async (grantId: string) => {
    setError(null);
    setDone(null);
    setBusy(true);
    try {
      await nodeJson(`${base}/consents/${grantId}/revoke`, 'revoking the consent', { token: session.token, method: 'POST', body: {} });
      setDone(`Revoked consent ${shortHash(grantId)}: from now on no member may read with it.`);
      onChanged();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card" aria-labelledby="consents-title">
      <h2 id="consents-title">Consents</h2>
      <div aria-live="polite">
        <Notices errors={[error]} done={done} />
      </div>
      {grants === null ? (
        <p class="note">Loading consents…</p>
      ) : grants.length === 0 ? (
        <p class="empty">No consent yet: nobody outside this hospital may read this patient’s record. Grant one below.</p>
      ) : (
        <div class="table-wrap" tabIndex={0} role="region" aria-label="Consents of this patient">
          <table>
            <thead>
              <tr>
                <th scope="col">Status</th>
                <th scope="col">Who (member)</th>
                <th scope="col">What</th>
                <th scope="col">Why</th>
                <th scope="col">From</th>
                <th scope="col">Until</th>
                <th scope="col">Transaction</th>
                <th scope="col">
                  <span class="visually-hidden">Action</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {grants.map((g) => (
                <tr key={g.grantId}>
                  <td>
                    <span class={`badge status-${g.status === 'active' ? 'pass' : g.status === 'revoked' ? 'fail' : 'skip'}`}>{g.status}</span>
                  </td>
                  <td>
                    <code title={g.granteeMember}>{shortHash(g.granteeMember)}</code>
                    {!ZERO.test(g.granteePractitioner) && <span class="note"> (one practitioner)</span>}
                  </td>
                  <td class="fit">{g.scope ? g.scope.categories.join(', ') : 'recorded elsewhere'}</td>
                  <td>{g.purposes.map((p) => PURPOSE_LABEL[p] ?? p).join(', ')}</td>
                  <td class="fit">{when(g.notBefore)}</td>
                  <td class="fit">{g.revokedAt ? `revoked ${when(g.revokedAt)}` : when(g.notAfter)}</td>
                  <td>
                    <Tx config={config} hash={g.txHash} />
                  </td>
                  <td>
                    {g.status === 'active' && (
                      <button type="button" class="small" onClick={() => void revoke(g.grantId)} disabled={busy} aria-label={`Revoke consent ${shortHash(g.grantId)}`}>
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <form onSubmit={grant} aria-labelledby="grant-title" class="grant">
        <h3 id="grant-title">Grant access</h3>
        <div class="find">
          <div class="field">
            <label for="grant-org">Organisation (org id)</label>
            <input id="grant-org" value={orgId} onInput={(e) => setOrgId((e.target as HTMLInputElement).value)} autoComplete="off" />
          </div>
          <div class="field">
            <label for="grant-practitioner">Only this practitioner (optional)</label>
            <input id="grant-practitioner" value={practitioner} onInput={(e) => setPractitioner((e.target as HTMLInputElement).value)} autoComplete="off" />
          </div>
          <div class="field">
            <label for="grant-categories">Data (resource types, comma separated)</label>
            <input id="grant-categories" value={categories} onInput={(e) => setCategories((e.target as HTMLInputElement).value)} autoComplete="off" />
          </div>
          <div class="field">
            <label for="grant-until">Until</label>
            <input id="grant-until" type="date" value={until} onInput={(e) => setUntil((e.target as HTMLInputElement).value)} />
          </div>
        </div>
        <fieldset>
          <legend>Purposes</legend>
          {PURPOSES.map((p) => (
            <label key={p.code} class="check">
              <input
                type="checkbox"
                checked={purposes.includes(p.code)}
                onChange={(e) => setPurposes((now) => ((e.target as HTMLInputElement).checked ? [...now, p.code] : now.filter((c) => c !== p.code)))}
              />{' '}
              {p.label}
            </label>
          ))}
        </fieldset>
        <button type="submit" class="primary" disabled={busy}>
          Grant consent
        </button>
      </form>
    </section>
  );
}
