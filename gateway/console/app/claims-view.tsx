// Claims, for a payer: drop a claim's evidence bundle, the consortium trust file and (optionally)
// the claims key, and get the verify-claim report computed in this browser. The verifier is the
// CLI's (`careledger verify-claim`), loaded on first use; it reads the chain straight from the page
// and asks the node that served it nothing, so it needs no token and trusts no node.
import { useState } from 'preact/hooks';
import type { ClaimVerdict } from '../browser-verify/verify-claim-in-browser.js';
import { ClaimReportView } from './claim-report-view.js';
import type { ViewProps } from './console-views.js';
import { type DroppedFile, FileDrop } from './file-drop.js';

export function ClaimsView({ config }: ViewProps) {
  const [bundle, setBundle] = useState<DroppedFile | null>(null);
  const [trust, setTrust] = useState<DroppedFile | null>(null);
  const [claimsKey, setClaimsKey] = useState<DroppedFile | null>(null);
  const [rpcUrl, setRpcUrl] = useState(config.chain.rpcUrl ?? '');
  const [verdict, setVerdict] = useState<ClaimVerdict | null>(null);
  const [verifying, setVerifying] = useState(false);

  const changed = (set: (file: DroppedFile | null) => void) => (file: DroppedFile | null) => {
    set(file);
    setVerdict(null);
  };

  const verify = async (event: Event) => {
    event.preventDefault();
    if (!bundle || !trust || !rpcUrl.trim()) return;
    setVerifying(true);
    setVerdict(null);
    try {
      const { verifyClaimInBrowser } = await import('../browser-verify/verify-claim-in-browser.js');
      setVerdict(await verifyClaimInBrowser({ bundleText: bundle.text, trustFileText: trust.text, trustFileName: trust.name, claimsKeyText: claimsKey?.text ?? null, rpcUrl: rpcUrl.trim() }));
    } catch (e) {
      setVerdict({ outcome: 'cannot-verify', reason: `Verification stopped unexpectedly (${(e as Error).message}). Reload the page and try again.` });
    } finally {
      setVerifying(false);
    }
  };

  const missing = !bundle ? 'Drop the claim’s evidence bundle first.' : !trust ? 'Drop the consortium trust file next.' : !rpcUrl.trim() ? 'Give the URL of a node of the consortium chain.' : null;

  return (
    <div class="claims">
      <form class="card" onSubmit={verify} aria-labelledby="claim-input-title">
        <h2 id="claim-input-title">Verify a claim in this browser</h2>
        <p>Everything is checked here, against the chain your trust file pins: the node that served this page is not asked and not trusted. Nothing you drop leaves this browser.</p>
        <div class="columns">
          <FileDrop
            id="claim-bundle"
            label="Claim evidence bundle"
            hint="The JSON from GET /fhir/Claim/{id}/$evidence or npx careledger claim evidence."
            file={bundle}
            onFile={changed(setBundle)}
          />
          <FileDrop id="claim-trust" label="Consortium trust file" hint="From npx careledger trust export; compare its fingerprint out of band." file={trust} onFile={changed(setTrust)} />
          <FileDrop
            id="claim-key"
            label="Claims key (optional)"
            hint="The consortium’s claims key file. Without it the duplicate check is skipped and the verdict is at best INCONCLUSIVE."
            file={claimsKey}
            onFile={changed(setClaimsKey)}
          />
        </div>
        <label for="claim-rpc">Chain RPC URL</label>
        <input id="claim-rpc" value={rpcUrl} onInput={(e) => setRpcUrl((e.target as HTMLInputElement).value)} autoComplete="off" />
        <button type="submit" class="primary" disabled={missing !== null || verifying}>
          {verifying ? 'Verifying…' : 'Verify claim'}
        </button>
        {missing && <p class="note">{missing}</p>}
      </form>
      <div aria-live="polite">
        {!verdict && !verifying && (
          <p class="empty">No claim checked yet. A hospital hands you the evidence bundle with the claim; your consortium gives you the trust file and the claims key.</p>
        )}
        {verdict?.outcome === 'cannot-verify' && (
          <div class="verdict unknown" role="alert">
            <p>
              <strong>Could not verify.</strong> {verdict.reason}
            </p>
          </div>
        )}
        {verdict?.outcome === 'report' && <ClaimReportView report={verdict.report} config={config} />}
      </div>
    </div>
  );
}
