// The console (issue #16): first load to interactive on loopback, in Debian's Chromium, and the
// bundle's gzip size.
//   first load   navigation start to the first view's main content rendered, each load in a fresh
//                browser context (cold cache): the sign-in page (its button), and the Operations
//                view signed in (its figures filled from the node). Baseline in the same run and
//                browser: navigating to the node's /fhir/metadata JSON (its load event).
//   bundle       gzip -9 of what the first load fetches (page, script, style), of each chunk
//                loaded on demand (the verifiers, the R4 converter, the criteria checker) with what
//                it adds, and of everything the console serves (bundle-sizes.ts).

import type { Browser } from 'playwright-core';
import { type BundlePath, consoleBundleSizes } from '../../gateway/console/bundle-sizes.js';
import { ensureConsoleBundle } from '../../gateway/console/console-bundle.js';
import { CONSOLE_DIST_DIR } from '../../gateway/console/vite-settings.js';
import { launchChromium, type PageGlobals } from '../console/console-browser.js';
import { startTestNode } from '../support/test-node.js';

export interface ConsoleBenchResult {
  loads: number;
  signInP50Ms: number;
  signInP95Ms: number;
  operationsP50Ms: number;
  operationsP95Ms: number;
  metadataP50Ms: number;
  metadataP95Ms: number;
  firstLoadGzipKb: number;
  paths: BundlePath[];
  totalGzipKb: number;
}

const LOADS = Number(process.env.BENCH_CONSOLE_LOADS ?? 15);

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!);
}

/** ms from navigation start until `ready` holds in the page, in a fresh context. */
type Ready = () => boolean;
// Functions, not strings: the console's CSP forbids eval, which string predicates need.
const SIGN_IN_SHOWN: Ready = () => (globalThis as unknown as PageGlobals).document.querySelector('button.primary') !== null;
const FIGURES_SHOWN: Ready = () => /reachable/.test((globalThis as unknown as PageGlobals).document.querySelector('.stats')?.textContent ?? '');
const DOCUMENT_LOADED: Ready = () => (globalThis as unknown as PageGlobals).document.readyState === 'complete';

async function timedLoad(browser: Browser, url: string, ready: Ready, session?: object): Promise<number> {
  const context = await browser.newContext();
  try {
    if (session) await context.addInitScript((value: string) => (globalThis as unknown as PageGlobals).sessionStorage.setItem('careledger.console.session', value), JSON.stringify(session));
    const page = await context.newPage();
    await page.goto(url, { waitUntil: 'commit' });
    await page.waitForFunction(ready, undefined, { polling: 'raf', timeout: 15_000 });
    return await page.evaluate(() => performance.now());
  } finally {
    await context.close();
  }
}

export async function benchConsole(): Promise<ConsoleBenchResult> {
  const [, node] = await Promise.all([ensureConsoleBundle(), startTestNode()]);
  const browser = await launchChromium();
  try {
    const session = { accessToken: node.token, expiresAt: Date.now() + 3_600_000, label: 'bench', kind: 'token' };
    const signIn: number[] = [];
    const operations: number[] = [];
    const metadata: number[] = [];
    const consoleUrl = `${node.baseUrl}/console/`;
    // One unmeasured round: Chromium's own first start of a renderer is not the console's cost.
    await timedLoad(browser, consoleUrl, SIGN_IN_SHOWN);
    for (let i = 0; i < LOADS; i++) {
      signIn.push(await timedLoad(browser, consoleUrl, SIGN_IN_SHOWN));
      operations.push(await timedLoad(browser, consoleUrl, FIGURES_SHOWN, session));
      metadata.push(await timedLoad(browser, `${node.fhirBase}/metadata`, DOCUMENT_LOADED));
    }
    return {
      loads: LOADS,
      signInP50Ms: percentile(signIn, 50),
      signInP95Ms: percentile(signIn, 95),
      operationsP50Ms: percentile(operations, 50),
      operationsP95Ms: percentile(operations, 95),
      metadataP50Ms: percentile(metadata, 50),
      metadataP95Ms: percentile(metadata, 95),
      ...consoleBundleSizes(CONSOLE_DIST_DIR),
    };
  } finally {
    await browser.close();
    await node.dispose();
  }
}
