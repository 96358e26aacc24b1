// Research: compose cohort criteria (checked as you type with the node's own validator), submit the
// query, and follow each hospital's answer: proving, answered with its released count or below the
// minimum cell size, and whether its proofs verified on chain and again offline.
//
// Who posts the query: the node does (POST /cohort/queries), signing with its member key, so only a
// node whose member holds RESEARCHER can; the console never holds a member key. A researcher whose
// node cannot (or who posts with `careledger cohort query`) follows the query here by its id.
import { useEffect, useState } from 'preact/hooks';
import type { ConsoleConfig } from './console-config.js';
import { transactionUrl } from './console-config.js';
import type { ViewProps } from './console-views.js';

import { count, shortHash, when } from './display-format.js';
import { ApiError, nodeJson } from './node-api.js';
import { usePolled } from './polling.js';

const EXAMPLE = JSON.stringify(
  [
    { field: 'sex', op: 'in', values: ['female', 'male'] },
    { ageAtDateBetween: { date: '2025-01-01', min: 18, max: 100 } },
  ],
  null,
  1,
);

type HospitalProgress = { member: string; orgId: string } & (
  | { state: 'answered'; releasedCount: number; belowMinimum: boolean; epoch: string }
  | { state: 'proving'; chunksPosted: number; chunks: number }
  | { state: 'waiting' }
);

interface Progress {
  queryId: string;
  minCellSize: number;
  deadline: number;
  hospitals: HospitalProgress[];
}

interface Audited {
  criteria: unknown;
  txHash: string;
  answers: Array<{ member: string; epoch: string; releasedCount: number; belowMinimum: boolean; txHash: string; verifiedOnChain: boolean; verifiedOffChain: boolean; reason?: string }>;
}

function stateText(h: HospitalProgress, minCellSize: number): string {
  if (h.state === 'answered') return h.belowMinimum ? `below threshold (< ${count(minCellSize)})` : `${count(h.releasedCount)} patients`;
  if (h.state === 'proving') return `proving: ${count(h.chunksPosted)} of ${count(h.chunks)} chunk proofs on chain`;
  return 'not answered yet';
}

function TxLink({ config, hash }: { config: ConsoleConfig; hash: string }) {
  const url = transactionUrl(config, hash);
  return url ? (
    <a href={url} rel="noopener noreferrer" target="_blank" title={hash}>
      {shortHash(hash)}
    </a>
  ) : (
    <code title={hash}>{shortHash(hash)}</code>
  );
}

function QueryResults({ config, token, queryId }: { config: ConsoleConfig; token: string; queryId: string }) {
  const progress = usePolled(async () => (await nodeJson<Progress>(`/console/api/cohort-queries/${queryId}/progress`, `the progress of cohort query ${queryId}`, { token })).body, [queryId, token]);
  const [audited, setAudited] = useState<Audited | null>(null);
  const [auditError, setAuditError] = useState<string | null>(null);
  const answered = progress.data?.hospitals.filter((h) => h.state === 'answered').length ?? 0;

  // The audited results re-verify every proof on the node: fetched when an answer arrives, not every poll.
  useEffect(() => {
    if (answered === 0) return;
    let stopped = false;
    nodeJson<Audited>(`/cohort/queries/${queryId}`, `the answers to cohort query ${queryId}`, { token }).then(
      ({ body }) => !stopped && (setAudited(body), setAuditError(null)),
      (error: Error) => !stopped && setAuditError(error.message),
    );
    return () => {
      stopped = true;
    };
  }, [queryId, token, answered]);

  const p = progress.data;
  if (!p) {
    return progress.error ? (
      <p role="alert" class="error">
        {progress.error}
      </p>
    ) : (
      <p class="note">Reading query {queryId} from the chain…</p>
    );
  }
  const audit = new Map((audited?.answers ?? []).map((a) => [a.member.toLowerCase(), a]));
  const released = p.hospitals.reduce((sum, h) => sum + (h.state === 'answered' && !h.belowMinimum ? h.releasedCount : 0), 0);
  const below = p.hospitals.filter((h) => h.state === 'answered' && h.belowMinimum).length;
  const done = answered === p.hospitals.length;
  return (
    <section class="card" aria-labelledby="query-title">
      <h2 id="query-title">Cohort query {p.queryId}</h2>
      {(progress.error || auditError) && (
        <p role="alert" class="error">
          {progress.error ?? auditError}
        </p>
      )}
      <dl class="stats" aria-label="Released counts">
        <div class={`stat ${done ? 'ok' : 'warn'}`}>
          <dt>Released count</dt>
          <dd>
            <span class="value">{count(released)}</span>
            <span class="note">
              from {count(answered - below)} hospital{answered - below === 1 ? '' : 's'}
              {below > 0 ? `; ${count(below)} below the minimum cell size of ${count(p.minCellSize)}, not released` : ''}
            </span>
          </dd>
        </div>
        <div class="stat">
          <dt>Hospitals answered</dt>
          <dd>
            <span class="value">
              {count(answered)} of {count(p.hospitals.length)}
            </span>
            <span class="note">{done ? 'all answered' : `open until ${when(p.deadline * 1000)}`}</span>
          </dd>
        </div>
      </dl>
      <p class="live" aria-live="off">
        Live: updated {when(progress.updatedAt)}
      </p>
      {p.hospitals.length === 0 ? (
        <p class="empty">The consortium has no active hospital to answer this query.</p>
      ) : (
        <div class="table-wrap" tabIndex={0} role="region" aria-label="Answers by hospital">
          <table>
            <thead>
              <tr>
                <th scope="col">Hospital</th>
                <th scope="col">Answer</th>
                <th scope="col">Epoch</th>
                <th scope="col">Proofs</th>
                <th scope="col">Transaction</th>
              </tr>
            </thead>
            <tbody>
              {p.hospitals.map((h) => {
                const a = audit.get(h.member.toLowerCase());
                return (
                  <tr key={h.member}>
                    <td title={h.member}>{h.orgId}</td>
                    <td>{stateText(h, p.minCellSize)}</td>
                    <td>{h.state === 'answered' ? h.epoch : '—'}</td>
                    <td>
                      {h.state !== 'answered'
                        ? '—'
                        : !a
                          ? 'verified on chain; checking offline…'
                          : a.verifiedOffChain
                            ? 'verified on chain and offline'
                            : `verified on chain, FAILED offline: ${a.reason ?? 'no reason given'}`}
                    </td>
                    <td>{a ? <TxLink config={config} hash={a.txHash} /> : '—'}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {audited && (
        <details>
          <summary>Criteria as posted on chain</summary>
          <pre tabIndex={0}>{JSON.stringify(audited.criteria, null, 1)}</pre>
        </details>
      )}
    </section>
  );
}

export function ResearchView({ config, session }: ViewProps) {
  const [text, setText] = useState(EXAMPLE);
  const [minCell, setMinCell] = useState('');
  const [followId, setFollowId] = useState('');
  const [queryId, setQueryId] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [checker, setChecker] = useState<typeof import('./criteria-check.js') | null>(null);
  useEffect(() => {
    import('./criteria-check.js').then(setChecker, () => setError('The criteria checker did not load: reload the page.'));
  }, []);
  const check = checker ? checker.checkCriteria(text) : ({ ok: false, message: 'Loading the criteria checker…' } as const);

  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    if (!check.ok) return setError(`Fix the criteria first: ${check.message}`);
    const cell = minCell.trim() === '' ? undefined : Number(minCell);
    if (cell !== undefined && (!Number.isInteger(cell) || cell < 1)) return setError('The minimum cell size is a whole number of patients, 1 or more (empty: the node’s default).');
    setBusy(true);
    try {
      const { body } = await nodeJson<{ queryId: string }>('/cohort/queries', 'posting the cohort query', {
        token: session.accessToken,
        method: 'POST',
        accept: [201],
        body: { criteria: check.criteria, ...(cell !== undefined ? { minCellSize: cell } : {}) },
      });
      setQueryId(body.queryId);
      setFollowId(body.queryId);
    } catch (e) {
      const message = (e as Error).message;
      setError(
        e instanceof ApiError && e.status === 403 && /RESEARCHER|role/i.test(message)
          ? `${message} This node’s member cannot post queries: post it with npx careledger cohort query on a researcher’s node and follow it here by its id.`
          : message,
      );
    } finally {
      setBusy(false);
    }
  };

  const follow = (event: Event) => {
    event.preventDefault();
    setError(null);
    const id = followId.trim();
    if (!/^[1-9][0-9]{0,18}$/.test(id)) return setError('A query id is a whole number, as `careledger cohort query` printed it.');
    setQueryId(id);
  };

  return (
    <div class="research">
      <div class="columns">
        <form class="card" onSubmit={submit} aria-labelledby="compose-title">
          <h2 id="compose-title">Compose a cohort query</h2>
          <label for="criteria">Criteria (JSON, all must hold)</label>
          <textarea id="criteria" rows={9} spellcheck={false} value={text} onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} aria-describedby="criteria-check" aria-invalid={!check.ok} />
          <div id="criteria-check" aria-live="polite">
            {check.ok ? (
              <div class="done">
                <p>Valid: patients who are</p>
                <ul>
                  {check.reading.map((r, i) => (
                    <li key={i}>{r}</li>
                  ))}
                </ul>
              </div>
            ) : (
              <p class="error-text">{check.message}</p>
            )}
          </div>
          <p class="note">
            Fields: birthDate, sex (unknown, male, female, other), {checker?.LAB_FIELDS ?? 'the labs'} and each lab’s .date; operators eq, ne, lt, lte, gt, gte, between, in, nin; plus ageAtDateBetween, hasAnyDiagnosis and
            hasNoDiagnosis. docs/zk.md has the whole language.
          </p>
          <label for="min-cell">Minimum cell size (optional)</label>
          <input id="min-cell" inputMode="numeric" value={minCell} onInput={(e) => setMinCell((e.target as HTMLInputElement).value)} autoComplete="off" aria-describedby="min-cell-hint" />
          <p class="note" id="min-cell-hint">
            Counts below it are never released. Empty: the node’s default (at least 10).
          </p>
          <button type="submit" class="primary" disabled={!check.ok || busy}>
            {busy ? 'Posting…' : 'Submit cohort query'}
          </button>
        </form>
        <form class="card" onSubmit={follow} aria-labelledby="follow-title">
          <h2 id="follow-title">Follow a query</h2>
          <p>Posted with npx careledger cohort query, or on another console? Follow it by its id.</p>
          <label for="query-id">Query id</label>
          <input id="query-id" inputMode="numeric" value={followId} onInput={(e) => setFollowId((e.target as HTMLInputElement).value)} autoComplete="off" />
          <button type="submit">Follow</button>
        </form>
      </div>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {queryId ? <QueryResults config={config} token={session.accessToken} queryId={queryId} /> : <p class="empty">No query followed yet. Compose criteria and submit them, or follow a query by its id.</p>}
    </div>
  );
}
