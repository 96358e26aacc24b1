// The console in a real browser against a real node: dev sign-in, the Operations view live with
// batches and anchors, the Receipts view verifying in the browser (chain read from the page, the
// node's own $verify-anchor blocked) and rejecting a tampered resource and a receipt naming a
// look-alike registry; axe-core finds no serious or critical violation; screenshots of each view
// at laptop and phone widths go to test-output/console/.
import { rmSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureConsoleBundle } from '../../gateway/console/console-bundle.js';
import { type ConsoleNode, startConsoleNode } from './console-node.js';
import { chromiumPath, launchChromium, type PageGlobals, screenshot, seriousAxeViolations } from './console-browser.js';

/** Run in the page: how many pixels the layout is wider than the viewport (0 when it fits). */
const horizontalOverflow = (): number => {
  const { document } = globalThis as unknown as PageGlobals;
  return document.documentElement.scrollWidth - document.documentElement.clientWidth;
};

const browserPath = chromiumPath();
if (!browserPath) console.warn('console browser tests: skipped, no Chromium (apt-get install -y chromium; .ci/run installs it)');

describe.skipIf(!browserPath)('console in Chromium', () => {
  let env: ConsoleNode;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const verifyApiCalls: string[] = [];
  const chainCalls: string[] = [];

  beforeAll(async () => {
    const [, started] = await Promise.all([ensureConsoleBundle(), startConsoleNode()]);
    env = started;
    console.log(`console tests: node with ${env.dataSource}`);
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    const rpcOrigin = new URL(env.node.chain.descriptor.rpcUrl).origin;
    // The node's own verification must play no part: any call to it fails the test below.
    await page.route('**/*$verify-anchor*', (route) => {
      verifyApiCalls.push(route.request().url());
      return route.abort('blockedbyclient');
    });
    page.on('request', (request) => {
      if (request.url().startsWith(rpcOrigin)) chainCalls.push(request.method());
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await env?.node.dispose();
    if (env) rmSync(env.trustFilePath, { force: true });
  });

  async function expectAccessible(name: string): Promise<void> {
    const violations = await seriousAxeViolations(page);
    expect(violations, `${name}: ${JSON.stringify(violations, null, 1)}`).toEqual([]);
  }

  it('signs in with one click in dev mode and shows Operations live: health, batches with their anchors, intake', async () => {
    await page.goto(`${env.node.baseUrl}/console/`);
    await page.getByRole('button', { name: 'Sign in as dev staff' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1, name: 'Operations' }).isVisible()).toBe(true);
    const figures = page.getByLabel('Node figures');
    await expect.poll(() => figures.textContent(), { timeout: 10_000 }).toContain('reachable');
    expect(await figures.textContent()).toMatch(/Nodeok/);
    const rows = page.getByRole('region', { name: 'Batches and their anchors' }).locator('tbody tr');
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBeGreaterThan(0);
    const firstRow = await rows.first().textContent();
    expect(firstRow).toMatch(/0x[0-9a-f]{8}…[0-9a-f]{6}/);
    expect(await page.getByText(/Live: updated/).isVisible()).toBe(true);
    await expectAccessible('operations');
    await screenshot(page, 'operations-1280');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'operations-390');
    const overflow = await page.evaluate(horizontalOverflow);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  async function findPatient(id: string): Promise<void> {
    await page.goto(`${env.node.baseUrl}/console/#/receipts`);
    await page.getByLabel('Resource type').fill('Patient');
    await page.getByLabel('Id', { exact: true }).fill(id);
    await page.getByRole('button', { name: 'Find' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 2, name: new RegExp(`^Patient/${id}/_history/`) }).isVisible()).toBe(true);
    await page.getByLabel(/Consortium trust file/).setInputFiles(env.trustFilePath);
    await expect.poll(() => page.getByText('Loaded trust.json.').isVisible()).toBe(true);
  }

  async function verdictText(): Promise<string> {
    await page.getByRole('button', { name: 'Verify receipt' }).click();
    const verdict = page.locator('.verdict');
    await verdict.waitFor({ timeout: 20_000 });
    return (await verdict.textContent()) ?? '';
  }

  it('finds a patient version and verifies its receipt in the browser, reading the chain from the page', async () => {
    await findPatient(env.patientIds[0]!);
    chainCalls.length = 0;
    const text = await verdictText();
    expect(text).toMatch(/^Valid\./);
    expect(text).toContain('member passed');
    expect(text).toContain('trust-contract passed');
    expect(chainCalls.filter((method) => method === 'POST').length).toBeGreaterThan(0);
    expect(verifyApiCalls).toEqual([]);
    expect(await page.getByText(/^recorded .+, custodian /).isVisible()).toBe(true);
    await expectAccessible('receipts');
    await screenshot(page, 'receipts-valid-1280');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'receipts-valid-390');
    expect(await page.evaluate(horizontalOverflow)).toBeLessThanOrEqual(0);
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('rejects a tampered resource served by the node (digest), computed in the browser', async () => {
    const id = env.patientIds[1]!;
    await page.route(`**/fhir/Patient/${id}`, async (route) => {
      const response = await route.fetch();
      const patient = (await response.json()) as { gender?: string };
      patient.gender = patient.gender === 'male' ? 'female' : 'male';
      await route.fulfill({ response, json: patient });
    });
    try {
      await findPatient(id);
      const text = await verdictText();
      expect(text).toMatch(/^Invalid at check digest/);
      expect(text).toContain('the content differs from the anchored version');
      expect(verifyApiCalls).toEqual([]);
      await screenshot(page, 'receipts-tampered');
    } finally {
      await page.unroute(`**/fhir/Patient/${id}`);
    }
  });

  it('rejects a receipt for a look-alike AnchorRegistry (trust-contract), whatever the node says', async () => {
    const id = env.patientIds[2]!;
    const lookAlike = '0x' + 'a1'.repeat(20);
    await page.route(`**/fhir/Patient/${id}/_history/*/$receipt`, async (route) => {
      const response = await route.fetch();
      const receipt = (await response.json()) as { anchor: { contract: string } };
      receipt.anchor.contract = lookAlike;
      await route.fulfill({ response, json: receipt });
    });
    try {
      await findPatient(id);
      const text = await verdictText();
      expect(text).toMatch(/^Invalid at check trust-contract/);
      expect(text).toContain(lookAlike);
      expect(verifyApiCalls).toEqual([]);
      await expectAccessible('receipts-invalid');
      await screenshot(page, 'receipts-look-alike');
    } finally {
      await page.unroute(`**/fhir/Patient/${id}/_history/*/$receipt`);
    }
  });

  it('says what to do when nothing is found, and the sign-in page is accessible', async () => {
    await page.goto(`${env.node.baseUrl}/console/#/receipts`);
    await page.getByLabel('Id', { exact: true }).fill('no-such-patient');
    await page.getByRole('button', { name: 'Find' }).click();
    const alert = page.getByRole('alert');
    await expect.poll(() => alert.textContent()).toMatch(/The node has no Patient\/no-such-patient: check what you typed\./);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in as dev staff' }).waitFor();
    await expectAccessible('sign-in');
    await screenshot(page, 'sign-in');
  });
});
