// The Claims view (issue #16) for `npm run bench`: a payer's claim verification in the browser,
// against the same verification by the CLI's code in Node, on one claim citing 11 resources on a
// real node and chain (test/console/claims-node.ts).
//   browserMs   click on "Verify claim" to the VERIFIED report shown, each round in a fresh browser
//               context (cold cache: the verifier chunks are fetched and compiled, every chain read
//               made from the page).
//   cliMs       baseline: `careledger verify-claim`'s steps in this process (openLedgerClient at the
//               trust file's chain, checkPinnedChain, verifyClaimBundle with fresh chain caches),
//               without the CLI process's start-up.
import { readFileSync } from 'node:fs';
import { cachedAnchorLookup, cachedRegistrations, cachedVerifierReader } from '../../gateway/claims/chain-cache.js';
import { verifyClaimBundle } from '../../gateway/claims/verify-claim.js';
import { ensureConsoleBundle } from '../../gateway/console/console-bundle.js';
import { openLedgerClient } from '../../gateway/ledger/factory.js';
import { parseTrustFile, trustFingerprint } from '../../gateway/receipts/trust-file.js';
import { checkPinnedChain, pinnedVerifier } from '../../gateway/receipts/trust-root.js';
import { startClaimsNode } from '../console/claims-node.js';
import { launchChromium, type PageGlobals } from '../console/console-browser.js';

export interface ConsoleClaimsBenchResult {
  rounds: number;
  resources: number;
  browserP50Ms: number;
  browserP95Ms: number;
  cliP50Ms: number;
  cliP95Ms: number;
}

const ROUNDS = Number(process.env.BENCH_CONSOLE_CLAIM_ROUNDS ?? 7);

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!);
}

export async function benchConsoleClaims(): Promise<ConsoleClaimsBenchResult> {
  const [, env] = await Promise.all([ensureConsoleBundle(), startClaimsNode()]);
  const browser = await launchChromium();
  try {
    const trust = parseTrustFile(readFileSync(env.files.trust, 'utf8'));
    const rpcUrl = env.node.chain.descriptor.rpcUrl;
    const session = { accessToken: env.node.token, expiresAt: Date.now() + 3_600_000, label: 'bench', kind: 'token' };
    const inBrowser = async (): Promise<number> => {
      const context = await browser.newContext();
      try {
        await context.addInitScript((value: string) => (globalThis as unknown as PageGlobals).sessionStorage.setItem('careledger.console.session', value), JSON.stringify(session));
        const page = await context.newPage();
        await page.goto(`${env.node.baseUrl}/console/#/claims`);
        await page.getByLabel('Claim evidence bundle').setInputFiles(env.files.genuine);
        await page.getByLabel('Consortium trust file').setInputFiles(env.files.trust);
        await page.getByLabel('Claims key (optional)').setInputFiles(env.files.key);
        await page.getByText('Loaded claims.key.').waitFor();
        const started = performance.now();
        await page.getByRole('button', { name: 'Verify claim' }).click();
        await page.locator('.verdict').waitFor({ timeout: 30_000 });
        const elapsed = performance.now() - started;
        const text = (await page.locator('.verdict').textContent()) ?? '';
        if (!text.startsWith('VERIFIED')) throw new Error(`the bench claim did not verify in the browser: ${text.slice(0, 300)}`);
        return elapsed;
      } finally {
        await context.close();
      }
    };
    const inNode = async (): Promise<number> => {
      const started = performance.now();
      const ledger = await openLedgerClient({ kind: trust.ledger, rpcUrl, chainId: trust.chainId, contracts: trust.contracts });
      try {
        await checkPinnedChain(trust, ledger.verifier);
        const anchors = ledger.anchorsAt(trust.contracts.AnchorRegistry);
        const report = await verifyClaimBundle(env.evidence, {
          trust,
          trustSource: 'bench',
          trustFingerprint: trustFingerprint(trust),
          verify: pinnedVerifier(trust, cachedAnchorLookup((member, sequence) => anchors.getAnchor(member, sequence)), cachedVerifierReader(ledger.verifier)),
          fingerprints: trust.contracts.ClaimRegistry ? cachedRegistrations(ledger.fingerprintsAt(trust.contracts.ClaimRegistry)) : null,
          claimsKey: env.claimsKey,
          licences: trust.contracts.LicenceRegistry ? ledger.licencesAt(trust.contracts.LicenceRegistry) : null,
        });
        if (report.verdict !== 'VERIFIED') throw new Error(`the bench claim did not verify in Node: ${report.verdict}`);
      } finally {
        await ledger.close();
      }
      return performance.now() - started;
    };
    // One unmeasured round each: Chromium's first renderer and Node's first module compilation.
    await inBrowser();
    await inNode();
    const browserMs: number[] = [];
    const cliMs: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      browserMs.push(await inBrowser());
      cliMs.push(await inNode());
    }
    return {
      rounds: ROUNDS,
      resources: env.evidence.entry.filter((e) => e.resource.resourceType !== 'Provenance').length,
      browserP50Ms: percentile(browserMs, 50),
      browserP95Ms: percentile(browserMs, 95),
      cliP50Ms: percentile(cliMs, 50),
      cliP95Ms: percentile(cliMs, 95),
    };
  } finally {
    await browser.close();
    await env.dispose();
  }
}
