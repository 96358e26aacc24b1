// Who accessed the patient's record, what and why: the node's access log (one AuditEvent per read
// by another member, allowed or refused), newest first, break-glass reads flagged with their chain
// transaction, and each AuditEvent's receipt (where it was anchored) once its batch is on chain.
import type { ConsoleConfig } from './console-config.js';
import { transactionUrl } from './console-config.js';
import { count, shortHash, when } from './display-format.js';

interface Coding {
  code?: string;
  display?: string;
}

export interface AccessEntryView {
  reference: string;
  recorded: string;
  outcome: 'allowed' | 'denied';
  breakGlass: boolean;
  receipt: { anchor?: { blockNumber?: number; txHash?: string; blockTimestamp?: number } } | null;
  retryAfterSeconds?: number;
  /** The break-glass record's transaction on ConsentRegistry, once sent. */
  emergencyTx: { txHash: string; blockNumber: number } | null;
  auditEvent: {
    code?: Coding & { coding?: Coding[] };
    authorization?: Array<{ concept?: { coding?: Coding[] }; coding?: Coding[] }>;
    agent?: Array<{ who?: { display?: string; identifier?: { value?: string } }; requestor?: boolean }>;
    entity?: Array<{ what?: { reference?: string }; detail?: Array<{ valueString?: string }> }>;
    outcome?: { detail?: Array<{ text?: string }> };
  };
}

function codes(entry: AccessEntryView): Coding[] {
  return (entry.auditEvent.authorization ?? []).flatMap((a) => a.concept?.coding ?? a.coding ?? []);
}

function who(entry: AccessEntryView): string {
  const agents = entry.auditEvent.agent ?? [];
  const member = agents.find((a) => !a.requestor)?.who;
  const practitioner = agents.find((a) => a.requestor)?.who?.identifier?.value;
  const org = member?.display ?? (member?.identifier?.value ? shortHash(member.identifier.value) : 'an unnamed member');
  return practitioner ? `${practitioner} at ${org}` : org;
}

function what(entry: AccessEntryView): string {
  const refs = (entry.auditEvent.entity ?? []).map((e) => e.what?.reference).filter((r): r is string => Boolean(r));
  const interaction = entry.auditEvent.code?.coding?.[0]?.code ?? entry.auditEvent.code?.code;
  return `${interaction ? `${interaction} ` : ''}${refs.length ? refs.join(', ') : 'a search'}`;
}

function TxText({ config, hash }: { config: ConsoleConfig; hash: string }) {
  const url = transactionUrl(config, hash);
  return url ? (
    <a href={url} rel="noopener noreferrer" target="_blank" title={hash}>
      {shortHash(hash)}
    </a>
  ) : (
    <code title={hash}>{shortHash(hash)}</code>
  );
}

export function PatientAccesses({ config, accesses }: { config: ConsoleConfig; accesses: AccessEntryView[] | null }) {
  const breakGlass = accesses?.filter((a) => a.breakGlass).length ?? 0;
  return (
    <section class="card" aria-labelledby="accesses-title">
      <h2 id="accesses-title">Who accessed your record</h2>
      {breakGlass > 0 && (
        <p class="flag" role="note">
          <strong>Break-glass:</strong> {count(breakGlass)} emergency access{breakGlass === 1 ? '' : 'es'} without your consent. Each is recorded on the consortium chain; ask the
          hospital if you do not recognise it.
        </p>
      )}
      {accesses === null ? (
        <p class="note">Loading the access log…</p>
      ) : accesses.length === 0 ? (
        <p class="empty">Nobody outside this hospital has read this record yet. When a member reads it, with your consent or in an emergency, the access appears here.</p>
      ) : (
        <div class="table-wrap" tabIndex={0} role="region" aria-label="Accesses to this record">
          <table>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">What</th>
                <th scope="col">Outcome</th>
                <th scope="col">Why</th>
                <th scope="col">Receipt</th>
              </tr>
            </thead>
            <tbody>
              {accesses.map((a) => {
                const purposes = codes(a).filter((c) => c.code !== 'BTG');
                const tx = a.emergencyTx?.txHash ?? null;
                return (
                  <tr key={a.reference} class={a.breakGlass ? 'break-glass' : ''}>
                    <td>{when(a.recorded)}</td>
                    <td>{who(a)}</td>
                    <td class="fit">{what(a)}</td>
                    <td class="fit">{a.outcome === 'allowed' ? 'allowed' : `refused${a.auditEvent.outcome?.detail?.[0]?.text ? `: ${a.auditEvent.outcome.detail[0].text}` : ''}`}</td>
                    <td class="fit">
                      {purposes.map((c) => c.display ?? c.code).join(', ') || '—'}
                      {a.breakGlass && (
                        <>
                          {' '}
                          <span class="badge status-fail">break-glass</span>
                          {tx && (
                            <>
                              {' '}
                              on chain <TxText config={config} hash={tx} />
                            </>
                          )}
                        </>
                      )}
                    </td>
                    <td>
                      {a.receipt?.anchor?.blockNumber !== undefined ? (
                        <span title={a.reference}>
                          anchored in block {count(a.receipt.anchor.blockNumber)}
                          {a.receipt.anchor.txHash && (
                            <>
                              , <TxText config={config} hash={a.receipt.anchor.txHash} />
                            </>
                          )}
                        </span>
                      ) : (
                        <span class="note">on its way to the chain{a.retryAfterSeconds ? ` (about ${count(a.retryAfterSeconds)} s)` : ''}</span>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
