// The Claims view in a real browser against a real node: synthetic R4 claims flow in through the
// node's R4 intake, the node anchors them and registers their line fingerprints under its claims
// key, and a payer drops the claim's $evidence bundle, the trust file and the claims key into the
// page. The verify-claim report is computed in the browser (the chain read from the page, no call
// to the node at all once the page is loaded): a genuine claim is VERIFIED, without the key it is
// INCONCLUSIVE, a resource edited after anchoring FAILS `receipts`, and a claim anchored in
// look-alike registries deployed on the same chain FAILS `trust-contract`. axe-core finds no
// serious or critical violation; screenshots at laptop and phone widths go to test-output/console/.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureConsoleBundle } from '../../gateway/console/console-bundle.js';
import { type ClaimsNode, startClaimsNode } from './claims-node.js';
import { chromiumPath, launchChromium, type PageGlobals, screenshot, seriousAxeViolations } from './console-browser.js';

const horizontalOverflow = (): number => {
  const { document } = globalThis as unknown as PageGlobals;
  return document.documentElement.scrollWidth - document.documentElement.clientWidth;
};

const browserPath = chromiumPath();
if (!browserPath) console.warn('console claims view tests: skipped, no Chromium (apt-get install -y chromium; .ci/run installs it)');

describe.skipIf(!browserPath)('Claims view in Chromium', () => {
  let env: ClaimsNode;
  let browser: Browser;
  let page: Page;
  const nodeCallsDuringVerify: string[] = [];
  let verifying = false;

  beforeAll(async () => {
    const [, started] = await Promise.all([ensureConsoleBundle(), startClaimsNode()]);
    env = started;
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.on('request', (request) => {
      if (verifying && request.url().startsWith(env.node.baseUrl) && !request.url().includes('/console/assets/')) nodeCallsDuringVerify.push(request.url());
    });
    await page.goto(`${env.node.baseUrl}/console/`);
    await page.getByRole('button', { name: 'Sign in as dev staff' }).click();
    await page.getByRole('heading', { level: 1, name: 'Operations' }).waitFor();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await env?.dispose();
  });

  /** Drops the files into the view, verifies, and returns the verdict's text. */
  async function verifyClaim(bundle: string, options: { key?: boolean } = {}): Promise<string> {
    // A fresh page each time: the view keeps the files of the previous check until told otherwise.
    await page.goto(`${env.node.baseUrl}/console/#/claims`);
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Claims' }).waitFor();
    await page.getByLabel('Claim evidence bundle').setInputFiles(bundle);
    await page.getByLabel('Consortium trust file').setInputFiles(files().trust);
    if (options.key !== false) {
      await page.getByLabel('Claims key (optional)').setInputFiles(files().key);
      await expect.poll(() => page.getByText('Loaded claims.key.').isVisible()).toBe(true);
    }
    await expect.poll(() => page.getByRole('button', { name: 'Verify claim' }).isEnabled()).toBe(true);
    verifying = true;
    try {
      await page.getByRole('button', { name: 'Verify claim' }).click();
      const verdict = page.locator('.verdict');
      await verdict.waitFor({ timeout: 30_000 });
      return (await verdict.textContent()) ?? '';
    } finally {
      verifying = false;
    }
  }

  const files = () => env.files;

  it('shows how to get started, then verifies a genuine claim in the browser: VERIFIED, every check with its evidence', async () => {
    await page.goto(`${env.node.baseUrl}/console/#/claims`);
    expect(await page.getByText(/No claim checked yet/).isVisible()).toBe(true);
    expect(await page.getByRole('button', { name: 'Verify claim' }).isDisabled()).toBe(true);
    await expectAccessible('claims-empty');

    const text = await verifyClaim(files().genuine);
    expect(text).toMatch(new RegExp(`^VERIFIED: ${env.claim}`));
    for (const name of ['references', 'trust-contract', 'receipts', 'patient', 'provider-member', 'encounter-before-claim', 'service-dates', 'licence', 'coverage', 'duplicates']) {
      expect(text).toMatch(new RegExp(`${name}\\s*pass`));
    }
    expect(nodeCallsDuringVerify).toEqual([]);
    await page.getByText(/^Evidence for receipts \(\d+\)$/).click();
    const rows = page.getByRole('region', { name: 'Evidence for receipts' }).locator('tbody tr');
    expect(await rows.count()).toBeGreaterThanOrEqual(8);
    expect(await rows.first().textContent()).toMatch(/0x[0-9a-f]{8}…[0-9a-f]{6}/);
    await expectAccessible('claims-verified');
    await screenshot(page, 'claims-verified-1280');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'claims-verified-390');
    expect(await page.evaluate(horizontalOverflow)).toBeLessThanOrEqual(0);
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('verifies the same claim held in R4 (the converter loaded on demand): VERIFIED, checked in the R5 form the node anchored', async () => {
    const text = await verifyClaim(files().r4);
    expect(text).toMatch(/VERIFIED/);
    expect(await page.getByText(/the bundle is R4: each resource was checked in the R5 form the node anchored/).isVisible()).toBe(true);
    expect(nodeCallsDuringVerify).toEqual([]);
  });

  it('without the claims key the duplicate check skips and the verdict is INCONCLUSIVE', async () => {
    const text = await verifyClaim(files().genuine, { key: false });
    expect(text).toMatch(/^INCONCLUSIVE: /);
    expect(text).toMatch(/duplicates\s*skip: .*no claims key/);
  });

  it('a resource edited after anchoring FAILS at `receipts` (digest), computed in the browser', async () => {
    const text = await verifyClaim(files().tampered);
    expect(text).toMatch(/^FAILED: /);
    expect(text).toMatch(/receipts\s*fail/);
    expect(text).toMatch(/Encounter\/[^ ]+\/_history\/1.*receipt check digest/);
    expect(nodeCallsDuringVerify).toEqual([]);
    await expectAccessible('claims-failed');
    await screenshot(page, 'claims-tampered');
  });

  it('a claim anchored in look-alike registries on the same chain FAILS at `trust-contract`', async () => {
    const text = await verifyClaim(files().forged);
    expect(text).toMatch(/^FAILED: /);
    expect(text).toMatch(/trust-contract\s*fail/);
    expect(text).toMatch(/the receipt names AnchorRegistry 0x[0-9a-f]{40} on chain \d+; the consortium's \(trust file\) is /);
    expect(nodeCallsDuringVerify).toEqual([]);
    await screenshot(page, 'claims-look-alike');
  });

  it('says what to do with a file that is no claim evidence', async () => {
    const text = await verifyClaim(files().trust);
    expect(text).toMatch(/^Could not verify\. .*Drop a claim evidence bundle/);
  });

  async function expectAccessible(name: string): Promise<void> {
    const violations = await seriousAxeViolations(page);
    expect(violations, `${name}: ${JSON.stringify(violations, null, 1)}`).toEqual([]);
  }
});
