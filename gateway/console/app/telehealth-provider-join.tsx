// The provider joins the call: the host issues a one-time challenge, the provider signs it with
// their licence key (EIP-191, in their wallet or with their signing tool; the key never enters
// this page) and pastes the signature, and the host checks the licence on the ledger before it
// hands out a join token. When the first media connection is up the consult is marked started.
import { useEffect, useState } from 'preact/hooks';
import { ConsultCallPanel } from './telehealth-call.js';
import type { JoinGrant } from './telehealth-call-client.js';
import { type ConsultView, consultStep, joinChallenge, joinConsult } from './telehealth-consult.js';

const SIGNATURE = /^0x[0-9a-fA-F]{130}$/;

export function ProviderJoin({ token, consult, onLeft }: { token: string; consult: ConsultView; onLeft: (because: string | null) => void }) {
  const [challenge, setChallenge] = useState<{ nonce: string; message: string; subject: string } | null>(null);
  const [signature, setSignature] = useState('');
  const [grant, setGrant] = useState<JoinGrant | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const ask = () => {
    setError(null);
    joinChallenge(token, consult.sessionId).then(setChallenge, (e: Error) => setError(e.message));
  };
  useEffect(ask, [consult.sessionId]);

  const join = async (event: Event) => {
    event.preventDefault();
    setError(null);
    if (!challenge) return;
    if (!SIGNATURE.test(signature.trim())) return setError('Paste the signature of the challenge: 0x followed by 130 hexadecimal characters.');
    setBusy(true);
    try {
      setGrant(await joinConsult(token, consult.sessionId, { nonce: challenge.nonce, signature: signature.trim() }));
    } catch (e) {
      // A challenge is single use: ask for a fresh one so the next attempt can succeed.
      setError((e as Error).message);
      setSignature('');
      ask();
    } finally {
      setBusy(false);
    }
  };

  const started = () => {
    if (consult.state === 'connecting') void consultStep(token, consult.sessionId, 'start').catch(() => undefined);
  };

  if (grant) return <ConsultCallPanel grant={grant} onLeft={onLeft} onConnected={started} />;
  return (
    <form class="card" onSubmit={join} aria-labelledby="provider-join-title">
      <h2 id="provider-join-title">Join consult {consult.sessionId.slice(0, 8)} as the provider</h2>
      <p>The host checks your licence on the ledger before you join. Sign this one-time challenge with your licence key and paste the signature.</p>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {challenge ? (
        <>
          <p>
            Licence key: <code>{challenge.subject}</code>
          </p>
          <p class="label" id="challenge-label">
            Challenge to sign (personal_sign, EIP-191)
          </p>
          <pre aria-labelledby="challenge-label" class="challenge" tabIndex={0}>
            {challenge.message}
          </pre>
          <label for="join-signature">Signature</label>
          <input id="join-signature" value={signature} onInput={(e) => setSignature((e.target as HTMLInputElement).value)} placeholder="0x…" autoComplete="off" spellcheck={false} />
          <button type="submit" class="primary" disabled={busy}>
            Join call
          </button>
        </>
      ) : (
        !error && <p class="live">Asking the host for a challenge…</p>
      )}
      <button type="button" onClick={() => onLeft(null)}>
        Back to the schedule
      </button>
    </form>
  );
}
