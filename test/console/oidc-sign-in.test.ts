// Console sign-in through a hospital OpenID Connect provider, in Chromium against a real node: the
// local issuer (test/support/oidc-issuer.ts) signs the user in at once and checks PKCE at its token
// endpoint; the console redeems the code, the node checks the ID token against the issuer's JWKS,
// and the Operations view shows. A role the node does not map, and a redirect that this tab did not
// start, each end on the sign-in page with a sentence saying what to do.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureConsoleBundle } from '../../gateway/console/console-bundle.js';
import { startTestIssuer, type TestIssuer } from '../support/oidc-issuer.js';
import { startTestNode, type TestNode } from '../support/test-node.js';
import { chromiumPath, launchChromium, screenshot, seriousAxeViolations } from './console-browser.js';

const browserPath = chromiumPath();
if (!browserPath) console.warn('console OIDC sign-in test: skipped, no Chromium (apt-get install -y chromium; .ci/run installs it)');

describe.skipIf(!browserPath)('console sign-in with the hospital OpenID Connect provider', () => {
  let issuer: TestIssuer;
  let node: TestNode;
  let browser: Browser;

  beforeAll(async () => {
    issuer = await startTestIssuer();
    [, node] = await Promise.all([
      ensureConsoleBundle(),
      startTestNode({ CONSOLE_OIDC_ISSUER: issuer.issuer, CONSOLE_OIDC_CLIENT_ID: issuer.clientId }),
    ]);
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await node?.dispose();
    await issuer?.close();
  });

  async function freshPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    return context.newPage();
  }

  it('signs in with code + PKCE and shows the Operations view with the provider token', async () => {
    issuer.user = { sub: 'staff-7f3a', name: 'Dana Reyes', groups: ['careledger-staff'] };
    const page = await freshPage();
    await page.goto(`${node.baseUrl}/console/`);
    const button = page.getByRole('button', { name: 'Sign in with your hospital account' });
    await button.waitFor();
    expect(await seriousAxeViolations(page)).toEqual([]);
    await screenshot(page, 'oidc-sign-in');
    const before = issuer.tokenRequests.length;
    await button.click();
    await expect.poll(() => page.getByRole('heading', { level: 1, name: 'Operations' }).isVisible(), { timeout: 15_000 }).toBe(true);
    expect(await page.getByText('Signed in as Dana Reyes').isVisible()).toBe(true);
    await expect.poll(() => page.getByLabel('Node figures').textContent(), { timeout: 10_000 }).toContain('reachable');
    // The code and state are gone from the address bar; the token request carried a 43-character verifier.
    expect(new URL(page.url()).search).toBe('');
    const request = issuer.tokenRequests.at(-1)!;
    expect(issuer.tokenRequests.length).toBe(before + 1);
    expect(request.code_verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(request.redirect_uri).toBe(`${node.baseUrl}/console/`);
    await screenshot(page, 'oidc-operations');
    await page.context().close();
  });

  it('refuses a hospital account whose role the node does not map, and stays signed out', async () => {
    issuer.user = { sub: 'visitor-1', name: 'Sam Visitor', groups: ['cafeteria'] };
    const page = await freshPage();
    await page.goto(`${node.baseUrl}/console/`);
    await page.getByRole('button', { name: 'Sign in with your hospital account' }).click();
    const alert = page.getByRole('alert');
    await expect.poll(() => alert.textContent(), { timeout: 15_000 }).toContain('no role this node grants');
    expect(await page.getByRole('heading', { level: 1, name: 'Operations' }).count()).toBe(0);
    expect(await page.getByText('Signed in as').count()).toBe(0);
    await page.context().close();
  });

  it('refuses a redirect back that this tab did not start (forged state)', async () => {
    const page = await freshPage();
    const before = issuer.tokenRequests.length;
    await page.goto(`${node.baseUrl}/console/?code=stolen&state=forged`);
    await expect.poll(() => page.getByRole('alert').textContent(), { timeout: 10_000 }).toContain('does not belong to a sign-in started in this tab');
    expect(issuer.tokenRequests.length).toBe(before);
    expect(new URL(page.url()).search).toBe('');
    await page.context().close();
  });
});
