// Receipts: find a resource version, see its receipt and Provenance, and verify it in this
// browser against the chain with the trust file the user drops in. The verification is the CLI's
// (`careledger verify --trust`), loaded on first use, reading the chain straight from the page.
import { useState } from 'preact/hooks';
import type { BrowserVerdict } from '../browser-verify/verify-in-browser.js';
import type { ViewProps } from './console-views.js';
import { transactionUrl } from './console-config.js';
import { count, shortHash, when } from './display-format.js';
import { nodeJson } from './node-api.js';
import { type DroppedFile, FileDrop } from './file-drop.js';

interface Found {
  reference: string;
  resource: { resourceType: string; id: string; meta?: { versionId?: string; lastUpdated?: string } };
  receipt: Record<string, unknown> | null;
  provenance: { recorded?: string; target?: Array<{ reference?: string }>; agent?: Array<{ who?: { display?: string; reference?: string; identifier?: { value?: string } } }> } | null;
}

const TYPE_PATTERN = /^[A-Z][A-Za-z]{1,63}$/;
const ID_PATTERN = /^[A-Za-z0-9\-.]{1,64}$/;

async function findVersion(token: string, type: string, id: string, version: string): Promise<Found> {
  const current = version.trim() === '';
  const path = current ? `/fhir/${type}/${id}` : `/fhir/${type}/${id}/_history/${encodeURIComponent(version.trim())}`;
  const { body: resource } = await nodeJson<Found['resource']>(path, `${type}/${id}${current ? '' : ` version ${version}`}`, { token });
  const versionId = resource.meta?.versionId ?? version.trim();
  const reference = `${type}/${id}/_history/${versionId}`;
  const receiptAnswer = await nodeJson<Record<string, unknown>>(`/fhir/${reference}/$receipt`, `the receipt of ${reference}`, { token, accept: [200, 202] });
  // The node answers Provenance?target=Type/id with the anchor Provenance of each anchored version.
  const bundle = await nodeJson<{ entry?: Array<{ resource: NonNullable<Found['provenance']> }> }>(`/fhir/Provenance?target=${encodeURIComponent(`${type}/${id}`)}`, `the Provenance of ${reference}`, { token }).catch(() => null);
  const provenance = bundle?.body.entry?.map((e) => e.resource).find((p) => p.target?.some((t) => t.reference === reference)) ?? null;
  return { reference, resource, receipt: receiptAnswer.status === 200 ? receiptAnswer.body : null, provenance };
}

function custodian(provenance: NonNullable<Found['provenance']>): string {
  const who = provenance.agent?.[0]?.who;
  return who?.display ?? who?.reference ?? (who?.identifier?.value ? shortHash(who.identifier.value) : 'not named');
}

function Checks({ verdict }: { verdict: Extract<BrowserVerdict, { checks: unknown }> }) {
  return (
    <ol class="checks">
      {verdict.checks.map((c) => (
        <li key={c.name} class={c.passed ? 'pass' : c.skipped ? 'skip' : 'fail'}>
          <span class="mark" aria-hidden="true">
            {c.passed ? '✓' : c.skipped ? '–' : '✗'}
          </span>
          <strong>{c.name}</strong> {c.passed ? 'passed' : c.skipped ? 'skipped' : 'failed'}
          {c.detail && <span class="note">: {c.detail}</span>}
        </li>
      ))}
    </ol>
  );
}

export function ReceiptsView({ config, session }: ViewProps) {
  const [type, setType] = useState('Patient');
  const [id, setId] = useState('');
  const [version, setVersion] = useState('');
  const [found, setFound] = useState<Found | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [trustFile, setTrustFile] = useState<DroppedFile | null>(null);
  const trustText = trustFile?.text ?? null;
  const [rpcUrl, setRpcUrl] = useState(config.chain.rpcUrl ?? '');
  const [verdict, setVerdict] = useState<BrowserVerdict | null>(null);
  const [verifying, setVerifying] = useState(false);

  const find = async (event: Event) => {
    event.preventDefault();
    setError(null);
    setVerdict(null);
    if (!TYPE_PATTERN.test(type.trim())) return setError('Type a FHIR resource type, such as Patient or Observation.');
    if (!ID_PATTERN.test(id.trim())) return setError('Type the resource id: letters, digits, "-" and "." only, as in Patient/<id>.');
    setBusy(true);
    try {
      setFound(await findVersion(session.accessToken, type.trim(), id.trim(), version));
    } catch (e) {
      setFound(null);
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const verify = async () => {
    if (!found?.receipt || !trustText) return;
    setVerifying(true);
    setVerdict(null);
    try {
      const { verifyInBrowser } = await import('../browser-verify/verify-in-browser.js');
      setVerdict(await verifyInBrowser({ resource: found.resource, receipt: found.receipt, trustFileText: trustText, rpcUrl: rpcUrl.trim() }));
    } catch (e) {
      setVerdict({ outcome: 'cannot-verify', reason: `Verification stopped unexpectedly (${(e as Error).message}). Reload the page and try again.` });
    } finally {
      setVerifying(false);
    }
  };

  const anchor = found?.receipt?.anchor as { txHash?: string; blockNumber?: number; blockTimestamp?: number; sequence?: string | number; chainId?: number; contract?: string } | undefined;

  return (
    <div class="receipts">
      <form class="card find" onSubmit={find} aria-label="Find a resource version">
        <div class="field">
          <label for="r-type">Resource type</label>
          <input id="r-type" value={type} onInput={(e) => setType((e.target as HTMLInputElement).value)} autoComplete="off" />
        </div>
        <div class="field">
          <label for="r-id">Id</label>
          <input id="r-id" value={id} onInput={(e) => setId((e.target as HTMLInputElement).value)} autoComplete="off" required />
        </div>
        <div class="field">
          <label for="r-version">Version (empty for the current one)</label>
          <input id="r-version" value={version} onInput={(e) => setVersion((e.target as HTMLInputElement).value)} autoComplete="off" inputMode="numeric" />
        </div>
        <button type="submit" class="primary" disabled={busy}>
          Find
        </button>
      </form>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {!found && !error && <p class="empty">Type a resource type and id (for example Patient and an id from your EHR or from `npx careledger import`) to see its receipt.</p>}

      {found && (
        <div class="columns">
          <section class="card" aria-labelledby="found-title">
            <h2 id="found-title">{found.reference}</h2>
            <p>Last updated {when(found.resource.meta?.lastUpdated)}</p>
            {found.receipt ? (
              <dl class="facts">
                <dt>Anchored in block</dt>
                <dd>{anchor?.blockNumber !== undefined ? count(anchor.blockNumber) : '—'}</dd>
                <dt>Block time</dt>
                <dd>{anchor?.blockTimestamp !== undefined ? when(anchor.blockTimestamp * 1000) : '—'}</dd>
                <dt>Transaction</dt>
                <dd>
                  {anchor?.txHash ? (
                    transactionUrl(config, anchor.txHash) ? (
                      <a href={transactionUrl(config, anchor.txHash)!} rel="noopener noreferrer" target="_blank">
                        {shortHash(anchor.txHash)}
                      </a>
                    ) : (
                      <code title={anchor.txHash}>{shortHash(anchor.txHash)}</code>
                    )
                  ) : (
                    '—'
                  )}
                </dd>
                <dt>Registry (as the receipt claims)</dt>
                <dd>
                  <code>{anchor?.contract ? shortHash(anchor.contract) : '—'}</code>
                </dd>
                <dt>Provenance</dt>
                <dd>{found.provenance ? `recorded ${when(found.provenance.recorded)}, custodian ${custodian(found.provenance)}` : 'none found'}</dd>
              </dl>
            ) : (
              <p class="empty">This version is not anchored yet: its batch is on its way to the chain. Find it again in a few seconds.</p>
            )}
            <details>
              <summary>Resource and receipt JSON</summary>
              <pre tabIndex={0}>{JSON.stringify({ resource: found.resource, receipt: found.receipt }, null, 2)}</pre>
            </details>
          </section>

          <section class="card" aria-labelledby="verify-title">
            <h2 id="verify-title">Verify in this browser</h2>
            <p>The check reads the chain from this browser and trusts only the consortium's trust file, not this node.</p>
            {/* The trust file comes from the user, never from the node: it makes the browser's verdict independent of the node that served the page. */}
            <FileDrop id="trust-file" label="Consortium trust file (drop it here or choose it)" file={trustFile} onFile={setTrustFile} />
            <label for="rpc-url">Chain RPC URL</label>
            <input id="rpc-url" value={rpcUrl} onInput={(e) => setRpcUrl((e.target as HTMLInputElement).value)} autoComplete="off" />
            <button type="button" class="primary" onClick={verify} disabled={!found.receipt || !trustText || !rpcUrl.trim() || verifying}>
              {verifying ? 'Verifying…' : 'Verify receipt'}
            </button>
            {!trustText && <p class="note">Drop the consortium trust file first (`npx careledger trust export` on a member node; compare its fingerprint out of band).</p>}
            <div aria-live="polite">
              {verdict?.outcome === 'valid' && (
                <div class="verdict valid" role="status">
                  <p>
                    <strong>Valid.</strong> Anchored on chain {verdict.chainId} in block {count(verdict.blockNumber)}, in the registry your trust file pins ({verdict.fingerprint}).
                  </p>
                  <Checks verdict={verdict} />
                </div>
              )}
              {verdict?.outcome === 'invalid' && (
                <div class="verdict invalid" role="alert">
                  <p>
                    <strong>Invalid</strong> at check <code>{verdict.failedCheck}</code>: {verdict.reason}
                  </p>
                  <Checks verdict={verdict} />
                </div>
              )}
              {verdict?.outcome === 'cannot-verify' && (
                <div class="verdict unknown" role="alert">
                  <p>
                    <strong>Could not verify.</strong> {verdict.reason}
                  </p>
                </div>
              )}
            </div>
          </section>
        </div>
      )}
    </div>
  );
}
