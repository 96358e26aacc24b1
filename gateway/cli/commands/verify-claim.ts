// careledger verify-claim BUNDLE --trust FILE [--rpc URL] [--claims-key FILE] [--json]: what a
// payer runs on a claim's evidence bundle, holding no node and no member key. The chain and the
// registries come from the trust file only; the bundle's receipts are claims to check.

import { parseArgs } from 'node:util';
import { cachedAnchorLookup, cachedRegistrations, cachedVerifierReader } from '../../claims/chain-cache.js';
import { renderClaimReport, exitCodeOf } from '../../claims/claim-report.js';
import { ClaimsKeyError, readClaimsKey } from '../../claims/claims-key.js';
import { ClaimBundleError, indexEvidence } from '../../claims/evidence-index.js';
import { verifyClaimBundle } from '../../claims/verify-claim.js';
import { openLedgerClient } from '../../ledger/factory.js';
import { TrustFileError, parseTrustFile, trustFingerprint } from '../../receipts/trust-file.js';
import { TrustMismatchError, checkPinnedChain, pinnedVerifier } from '../../receipts/trust-root.js';
import { CannotVerify, chainUnreadable, errorMessage, readInputJson, readInputText } from '../verification-input.js';

const HELP = `usage: careledger verify-claim BUNDLE --trust FILE [--rpc URL] [--claims-key FILE] [--json] [--verbose]

BUNDLE is a claim's evidence bundle (GET /fhir/Claim/{id}/$evidence, or careledger claim evidence).
--trust FILE       the consortium trust file (careledger trust export); compare its fingerprint
                   (careledger trust show) with the one the consortium published out of band.
--rpc URL          a node of the consortium chain; defaults to $CHAIN_RPC_URL.
--claims-key FILE  the consortium's claims key (defaults to $CLAIMS_KEY_FILE); without it the
                   duplicate check cannot run and the verdict is at best INCONCLUSIVE.
--json             the careledger-claim-report/1 JSON instead of text; --verbose lists the
                   evidence of passed checks too.
Verdicts: VERIFIED and WARNINGS exit 0, FAILED exits 1, INCONCLUSIVE exits 2; so does anything
that stops verification (bad input, a trust file for another chain, an unreachable chain).`;


export async function run(argv: string[]): Promise<number> {
  try {
    return await verifyClaim(argv);
  } catch (error) {
    if (!(error instanceof CannotVerify || error instanceof TrustFileError || error instanceof TrustMismatchError || error instanceof ClaimsKeyError || error instanceof ClaimBundleError)) {
      throw error;
    }
    console.error(`careledger verify-claim: could not verify: ${error.message}`);
    return 2;
  }
}

async function verifyClaim(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        trust: { type: 'string' },
        rpc: { type: 'string' },
        'claims-key': { type: 'string' },
        json: { type: 'boolean', default: false },
        verbose: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new CannotVerify(`${errorMessage(error)}\n${HELP}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new CannotVerify(`give exactly one BUNDLE file\n${HELP}`);
  if (!values.trust) throw new CannotVerify('--trust FILE is required: the consortium trust file (careledger trust export, see docs/receipts.md section 4.1); nothing can be verified without it');
  const bundle = readInputJson(positionals[0]!, 'evidence bundle');
  // Input that is no claim's evidence is refused before any chain read.
  indexEvidence(bundle);
  const trust = parseTrustFile(readInputText(values.trust, 'trust file'));
  const keyFile = values['claims-key'] || process.env.CLAIMS_KEY_FILE;
  const claimsKey = keyFile ? readClaimsKey(keyFile) : null;
  const rpcUrl = values.rpc || process.env.CHAIN_RPC_URL;
  if (!rpcUrl) throw new CannotVerify('no chain to read: pass --rpc URL (a node of the consortium chain) or set CHAIN_RPC_URL');

  const ledger = await openLedgerClient({ kind: trust.ledger, rpcUrl, chainId: trust.chainId, contracts: trust.contracts });
  try {
    try {
      await checkPinnedChain(trust, ledger.verifier);
    } catch (error) {
      throw chainUnreadable(error, rpcUrl);
    }
    const anchors = ledger.anchorsAt(trust.contracts.AnchorRegistry);
    const registry = trust.contracts.ClaimRegistry;
    const report = await verifyClaimBundle(bundle, {
      trust,
      trustSource: `trust file ${values.trust}`,
      trustFingerprint: trustFingerprint(trust),
      verify: pinnedVerifier(trust, cachedAnchorLookup((member, sequence) => anchors.getAnchor(member, sequence)), cachedVerifierReader(ledger.verifier)),
      fingerprints: registry ? cachedRegistrations(ledger.fingerprintsAt(registry)) : null,
      claimsKey,
      licences: trust.contracts.LicenceRegistry ? ledger.licencesAt(trust.contracts.LicenceRegistry) : null,
    });
    console.log(values.json ? JSON.stringify(report, null, 2) : renderClaimReport(report, { verbose: values.verbose }));
    return exitCodeOf(report.verdict);
  } finally {
    await ledger.close();
  }
}
