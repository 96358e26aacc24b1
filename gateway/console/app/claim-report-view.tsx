// A careledger-claim-report/1 as a payer reads it: the verdict in a sentence, then every check with
// its status, what it found and the evidence it rests on (resource, line, leaf, root, member,
// anchor sequence, block, transaction), the same report `careledger verify-claim --json` prints.
import type { CheckStatus, ClaimReport, Evidence, Verdict } from '../../claims/claim-report.js';
import type { ConsoleConfig } from './console-config.js';
import { transactionUrl } from './console-config.js';
import { count, shortHash, when } from './display-format.js';

const VERDICT_TEXT: Record<Verdict, { tone: string; text: string }> = {
  VERIFIED: { tone: 'valid', text: 'every check passed against the chain your trust file pins.' },
  WARNINGS: { tone: 'unknown', text: 'the claim holds, with something you should weigh (see the checks marked warn).' },
  FAILED: { tone: 'invalid', text: 'at least one check contradicts the claim (see the checks marked fail).' },
  INCONCLUSIVE: { tone: 'unknown', text: 'some checks could not run (see the checks marked skip), so the claim cannot be called verified.' },
};

const STATUS_MARK: Record<CheckStatus, string> = { pass: '✓', warn: '!', fail: '✗', skip: '–' };

function Hash({ value }: { value: string }) {
  return <code title={value}>{shortHash(value)}</code>;
}

function EvidenceRow({ e, config }: { e: Evidence; config: ConsoleConfig }) {
  const txUrl = e.tx ? transactionUrl(config, e.tx) : null;
  return (
    <tr class={e.status ?? ''}>
      <td>{e.status ?? 'pass'}</td>
      <td>{e.resource ?? '—'}</td>
      <td>{e.line !== undefined ? count(e.line) : '—'}</td>
      <td>{e.leaf ? <Hash value={e.leaf} /> : '—'}</td>
      <td>{e.root ? <Hash value={e.root} /> : '—'}</td>
      <td>{e.member ? <Hash value={e.member} /> : '—'}</td>
      <td>{e.sequence ?? '—'}{e.leafIndex !== undefined ? ` (leaf ${count(e.leafIndex)})` : ''}</td>
      <td>{e.block !== undefined ? `${count(e.block)}${e.blockTime ? `, ${when(e.blockTime)}` : ''}` : '—'}</td>
      <td>
        {e.tx ? (
          txUrl ? (
            <a href={txUrl} rel="noopener noreferrer" target="_blank" title={e.tx}>
              {shortHash(e.tx)}
            </a>
          ) : (
            <Hash value={e.tx} />
          )
        ) : (
          '—'
        )}
      </td>
      <td class="wrap">{[e.receiptCheck ? `receipt check ${e.receiptCheck}` : '', e.fingerprint ? `fingerprint ${shortHash(e.fingerprint)}` : '', e.note ?? ''].filter(Boolean).join('; ') || '—'}</td>
    </tr>
  );
}

export function ClaimReportView({ report, config }: { report: ClaimReport; config: ConsoleConfig }) {
  const verdict = VERDICT_TEXT[report.verdict];
  return (
    <div class={`verdict ${verdict.tone}`} role={report.verdict === 'VERIFIED' ? 'status' : 'alert'}>
      <p>
        <strong>{report.verdict}</strong>: {report.claim.resource} ({count(report.claim.lines)} line{report.claim.lines === 1 ? '' : 's'}
        {report.claim.created ? `, created ${when(report.claim.created)}` : ''}): {verdict.text}
      </p>
      {report.fhirVersion === 'R4' && <p class="note">{report.form}.</p>}
      <ol class="checks claim-checks">
        {report.checks.map((c) => (
          <li key={c.name} class={c.status === 'pass' ? 'pass' : c.status === 'fail' ? 'fail' : 'skip'}>
            <span class="mark" aria-hidden="true">
              {STATUS_MARK[c.status]}
            </span>
            <strong>{c.name}</strong> <span class={`badge status-${c.status}`}>{c.status}</span>
            <span class="note">: {c.detail}</span>
            {c.evidence.length > 0 && (
              <details open={c.status === 'fail' || c.status === 'warn'}>
                <summary>
                  Evidence for {c.name} ({count(c.evidence.length)})
                </summary>
                <div class="table-wrap" tabIndex={0} role="region" aria-label={`Evidence for ${c.name}`}>
                  <table>
                    <thead>
                      <tr>
                        <th scope="col">Status</th>
                        <th scope="col">Resource</th>
                        <th scope="col">Line</th>
                        <th scope="col">Leaf</th>
                        <th scope="col">Root</th>
                        <th scope="col">Member</th>
                        <th scope="col">Anchor sequence</th>
                        <th scope="col">Block</th>
                        <th scope="col">Transaction</th>
                        <th scope="col">Note</th>
                      </tr>
                    </thead>
                    <tbody>
                      {c.evidence.map((e, i) => (
                        <EvidenceRow key={i} e={e} config={config} />
                      ))}
                    </tbody>
                  </table>
                </div>
              </details>
            )}
          </li>
        ))}
      </ol>
      <p class="note">
        Trust: chain {report.trust.chainId}, {report.trust.source} ({report.trust.fingerprint}). Checked {when(report.checkedAt)}.
      </p>
    </div>
  );
}
